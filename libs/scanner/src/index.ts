export { scan } from './scan';
export type { ScanOptions } from './scan';
export { toSarif } from './sarif';
export { toTable } from './table';
export { run } from './cli-main';
export { cookieRules } from './checks/cookies.check';
export type { Finding, ScanReport, Severity } from './findings';
export type { CookieRule } from './checks/cookies.check';
