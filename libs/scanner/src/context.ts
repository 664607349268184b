import type { Finding } from './findings';
import type { Http } from './http';
import type { OpenApiOperation } from './openapi';

/** What every check gets. */
export interface ScanContext {
  base: URL;
  http: Http;
  operations: OpenApiOperation[] | undefined;
  /** A value no server knows: unknown paths and echo detection use it. */
  marker: string;
  report(finding: Finding): void;
  skip(reason: string): void;
}

/** One group of probes. */
export interface Check {
  name: string;
  run(ctx: ScanContext): Promise<void>;
}

export function resolve(base: URL, path: string): string {
  return new URL(path.replace(/^\//, ''), base.href.endsWith('/') ? base : new URL(`${base.href}/`)).href;
}
