import { randomBytes } from 'node:crypto';
import { authCheck } from './checks/auth.check';
import { bodiesCheck } from './checks/bodies.check';
import { cookiesCheck } from './checks/cookies.check';
import { corsCheck } from './checks/cors.check';
import { errorsCheck } from './checks/errors.check';
import { gradeHeaders } from './checks/headers.check';
import { limitsCheck } from './checks/limits.check';
import { methodsCheck } from './checks/methods.check';
import { transportCheck } from './checks/transport.check';
import type { Check, ScanContext } from './context';
import type { Finding, ScanReport } from './findings';
import { Http } from './http';
import { operationsOf } from './openapi';

/** Options of {@link scan}. @publicApi */
export interface ScanOptions {
  /** The API's OpenAPI 3 document (parsed JSON): its operations are checked one by one. */
  openapi?: unknown;
  /** Per-request timeout. @default 10000 */
  timeoutMs?: number;
  /** Headers sent with every request (e.g. a header your gateway requires); never credentials. */
  headers?: Record<string, string>;
  /** Called after each group of checks: `done` of `total`, and the group's name. */
  onProgress?: (done: number, total: number, name: string) => void;
}

const CHECKS: readonly Check[] = [
  transportCheck,
  corsCheck,
  authCheck,
  limitsCheck,
  errorsCheck,
  bodiesCheck,
  methodsCheck,
  // Last: it reads the cookies every earlier answer set.
  cookiesCheck,
];

/**
 * Scans a running API from outside, as an attacker would see it, and returns the findings.
 * Works on any HTTP API, Nest or not. Send it only to APIs you own: it sends malformed and
 * oversized requests, and calls every documented operation (writes included) without credentials.
 * @publicApi
 * @example
 * const report = await scan('http://127.0.0.1:3000', { openapi: JSON.parse(readFileSync('openapi.json', 'utf8')) });
 */
export async function scan(target: string, options: ScanOptions = {}): Promise<ScanReport> {
  const base = new URL(target);
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new Error(`Not an HTTP URL: ${target}`);
  const http = new Http(options.timeoutMs ?? 10_000, options.headers);
  const findings: Finding[] = [];
  const skipped: string[] = [];
  const ctx: ScanContext = {
    base,
    http,
    operations: options.openapi === undefined ? undefined : operationsOf(options.openapi),
    marker: `rs${randomBytes(6).toString('hex')}`,
    report: (finding) => findings.push(finding),
    skip: (reason) => skipped.push(reason),
  };
  const total = CHECKS.length + 1;
  try {
    const headers = await gradeHeaders(ctx);
    options.onProgress?.(1, total, 'security headers');
    for (const [index, check] of CHECKS.entries()) {
      await check.run(ctx);
      options.onProgress?.(index + 2, total, check.name);
    }
    return {
      target: base.href,
      startedAt: new Date().toISOString(),
      headers,
      findings: dedupe(findings),
      skipped,
      requests: http.requests,
    };
  } finally {
    await http.close();
  }
}

/** One finding per rule and URL: the same leak seen by two probes is one thing to fix. */
function dedupe(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    // Cookie findings are one per cookie already (the evidence names it): two cookies on one URL are two things to fix.
    const key = `${f.rule} ${f.method} ${f.url}${f.rule.startsWith('cookies/') ? ` ${f.evidence ?? ''}` : ''}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
