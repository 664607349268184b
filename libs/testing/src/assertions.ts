import { AssertionError } from 'node:assert';

/**
 * A response as supertest (`res.headers` an object, `res.body` parsed) or fetch (`res.headers` a
 * `Headers`, body read by the caller and passed as `body`) gives it.
 * @publicApi
 */
export interface ResponseLike {
  status: number;
  headers: Headers | Record<string, string | string[] | undefined>;
  body?: unknown;
}

export function headerOf(res: ResponseLike, name: string): string | undefined {
  const headers = res.headers;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const value = (headers as Record<string, string | string[] | undefined>)[name.toLowerCase()];
  return Array.isArray(value) ? value.join(', ') : value;
}

function fail(message: string, actual: unknown, expected: unknown, stackStartFn: (...args: never[]) => unknown): never {
  throw new AssertionError({ message, actual, expected, stackStartFn });
}

/** A stack frame (`at fn (file.ts:12:3)`) or a Node internal path: what a leaking error shows. */
const STACK_TRACE = /\bat (?:[\w$.<>]+ )?\(?(?:file:\/\/)?\/?[\w./-]+:\d+:\d+\)?|node:internal\//;

/** Whether a response body shows a stack frame or a Node internal path. */
export function leaksStackTrace(body: string): boolean {
  return STACK_TRACE.test(body);
}

/**
 * Asserts an RFC 9457 problem answer: the status (given, or implied by the code), the
 * `application/problem+json` media type, a body with `type`, `title`, `status` equal to the HTTP
 * status and, when `expected` is a code, that `code`; and no stack trace in the body. Throws
 * Node's `AssertionError`, so it fails a Jest, Vitest or `node:test` test alike.
 * @publicApi
 * @example
 * expectProblem(await request(server).get('/notes'), 'UNAUTHORIZED');
 * expectProblem(res, 413);
 * expectProblem(res, { status: 403, code: 'THREAT_DETECTED' });
 */
export function expectProblem(
  res: ResponseLike,
  expected: string | number | { status?: number; code?: string },
): Record<string, unknown> {
  const want =
    typeof expected === 'string' ? { code: expected } : typeof expected === 'number' ? { status: expected } : expected;
  const self = expectProblem;
  const body: unknown = typeof res.body === 'string' ? safeParse(res.body) : res.body;
  const summary = `${res.status} ${body === undefined ? 'no body' : JSON.stringify(body).slice(0, 300)}`;
  if (want.status !== undefined && res.status !== want.status) {
    fail(`Expected a ${want.status} problem, got ${summary}`, res.status, want.status, self);
  }
  if (res.status < 400) fail(`Expected a problem (4xx/5xx), got ${summary}`, res.status, '>= 400', self);
  const type = headerOf(res, 'content-type') ?? '';
  if (!/^application\/problem\+json\b/i.test(type)) {
    fail(
      `Expected Content-Type application/problem+json, got '${type}' (${summary})`,
      type,
      'application/problem+json',
      self,
    );
  }
  if (!isRecord(body)) fail(`Expected a problem body, got ${summary}`, body, 'object', self);
  if (typeof body.type !== 'string' || typeof body.title !== 'string') {
    fail(
      `A problem has a string 'type' and 'title' (RFC 9457 §3.1), got ${summary}`,
      body,
      { type: 'string', title: 'string' },
      self,
    );
  }
  if (body.status !== res.status) {
    fail(
      `The problem's 'status' must equal the HTTP status ${res.status}, got ${String(body.status)}`,
      body.status,
      res.status,
      self,
    );
  }
  if (want.code !== undefined && body.code !== want.code) {
    fail(`Expected problem code '${want.code}', got '${String(body.code)}' (${summary})`, body.code, want.code, self);
  }
  if (STACK_TRACE.test(JSON.stringify(body)))
    fail(`The problem leaks a stack trace: ${summary}`, body, 'no stack', self);
  return body;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Headers every API response carries under Rampart's preset, and the value each must have. */
const REQUIRED_HEADERS: readonly [string, RegExp, string][] = [
  ['content-security-policy', /default-src 'none'/, "default-src 'none' (nothing may load)"],
  ['content-security-policy', /frame-ancestors 'none'/, "frame-ancestors 'none' (nothing may frame it)"],
  ['x-content-type-options', /^nosniff$/, 'nosniff'],
  ['x-frame-options', /^(DENY|SAMEORIGIN)$/i, 'DENY'],
  ['referrer-policy', /^(no-referrer|same-origin|strict-origin(-when-cross-origin)?)$/, 'no-referrer'],
  ['cross-origin-resource-policy', /^(same-origin|same-site)$/, 'same-origin'],
  ['cache-control', /\bno-store\b/, 'no-store'],
];

/** Options of {@link expectSecurityHeaders}. @publicApi */
export interface SecurityHeadersExpectation {
  /** Require Strict-Transport-Security (max-age of a year or more). @default true */
  hsts?: boolean;
  /** Require `Cache-Control: no-store` (off for routes that deliberately allow caching). @default true */
  noStore?: boolean;
  /** Require an `X-Request-Id` (Rampart's request context). @default true */
  requestId?: boolean;
}

/**
 * Asserts the headers of Rampart's API preset on any answer (a 2xx, a 4xx problem, a 404, a 500):
 * CSP `default-src 'none'; frame-ancestors 'none'`, `nosniff`, framing denied, no referrer,
 * same-origin resource policy, `no-store`, HSTS of a year or more, a request id, and no
 * `X-Powered-By`. Throws Node's `AssertionError`.
 * @publicApi
 * @example
 * expectSecurityHeaders(await request(server).get('/no-such-route'));
 */
export function expectSecurityHeaders(res: ResponseLike, expectation: SecurityHeadersExpectation = {}): void {
  const self = expectSecurityHeaders;
  for (const [name, pattern, description] of REQUIRED_HEADERS) {
    if (name === 'cache-control' && expectation.noStore === false) continue;
    const value = headerOf(res, name);
    if (value === undefined || !pattern.test(value)) {
      fail(
        `Expected ${name}: ${description}, got ${value === undefined ? 'no header' : `'${value}'`} (status ${res.status})`,
        value,
        description,
        self,
      );
    }
  }
  if (expectation.hsts !== false) {
    const hsts = headerOf(res, 'strict-transport-security') ?? '';
    const maxAge = Number(/max-age=(\d+)/i.exec(hsts)?.[1] ?? 0);
    if (maxAge < 31_536_000)
      fail(
        `Expected Strict-Transport-Security with max-age >= 31536000, got '${hsts}'`,
        hsts,
        'max-age=31536000',
        self,
      );
  }
  if (expectation.requestId !== false && !headerOf(res, 'x-request-id')) {
    fail(`Expected an X-Request-Id header (status ${res.status})`, undefined, 'x-request-id', self);
  }
  const poweredBy = headerOf(res, 'x-powered-by');
  if (poweredBy !== undefined)
    fail(`X-Powered-By tells attackers the stack: '${poweredBy}'`, poweredBy, undefined, self);
}
