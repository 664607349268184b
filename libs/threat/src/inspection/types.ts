/** The attack classes the inspection engine recognises. Names are public API. @publicApi */
export type ThreatCategory =
  | 'sqli'
  | 'xss'
  | 'path_traversal'
  | 'command_injection'
  | 'template_injection'
  | 'nosql_injection'
  | 'ssrf'
  | 'crlf_injection'
  | 'prototype_pollution'
  /** Not an attack class: the request exceeded the walk bounds, so part of it was not inspected. */
  | 'inspection_limit';

/**
 * How sure a rule is that its match is an attack, in the manner of the OWASP Core Rule Set's
 * severities: one `critical` finding reaches the default threshold on its own.
 * @publicApi
 */
export type FindingSeverity = 'critical' | 'high' | 'medium' | 'low';

/** What a detector reports for one string. */
export interface RuleMatch {
  /** A stable rule id, e.g. `sqli.tautology`. */
  rule: string;
  severity: FindingSeverity;
  /** The lowest paranoia level at which the rule runs (CRS's PL); 1 unless noted. */
  paranoia?: 1 | 2;
}

/** Where a string came from, as the detectors need it. */
export interface DetectContext {
  /** `path`, `query`, `body`, `header` or `cookie`. */
  readonly source: 'path' | 'query' | 'body' | 'header' | 'cookie';
  /** Whether the string is a key (parameter or property name) rather than a value. */
  readonly isKey: boolean;
  /** The key under which a value was found, lower-cased (e.g. `callbackurl`), or '' . */
  readonly name: string;
}

/** A detector sees the normalised (decoded, NFKC, lower-cased) string. */
export type Detector = (text: string, context: DetectContext) => RuleMatch | undefined;
