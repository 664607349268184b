export { scan } from './scan';
export type { ScanOptions } from './scan';
export { toSarif } from './sarif';
export { toTable } from './table';
export { run } from './cli-main';
export type { Finding, ScanReport, Severity } from './findings';
