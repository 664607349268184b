/** How bad a finding is; the exit-code threshold compares on this order. @publicApi */
export type Severity = 'low' | 'medium' | 'high';
export const SEVERITIES: readonly Severity[] = ['low', 'medium', 'high'];

/** One problem the scanner found. @publicApi */
export interface Finding {
  /** Stable rule id, e.g. `headers/missing-csp` (SARIF `ruleId`). */
  rule: string;
  severity: Severity;
  /** What was found and what to do about it. */
  message: string;
  /** The request that showed it. */
  method: string;
  url: string;
  /** A short excerpt of what the server sent (a header, a line of the body). */
  evidence?: string;
}

/** What `scan()` returns. @publicApi */
export interface ScanReport {
  target: string;
  startedAt: string;
  /** Observatory-style grade of the security headers (A+ … F) and its score. */
  headers: { grade: string; score: number };
  findings: Finding[];
  /** Checks that could not run (e.g. no OpenAPI document for the authentication check). */
  skipped: string[];
  requests: number;
}

export function atLeast(severity: Severity, threshold: Severity): boolean {
  return SEVERITIES.indexOf(severity) >= SEVERITIES.indexOf(threshold);
}
