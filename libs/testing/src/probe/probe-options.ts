import type { TestTokens } from '../test-tokens';

/** The attacks {@link probeApp} runs. @publicApi */
export type ProbeCheck =
  /** A route the inventory marks `@Public()` that `publicRoutes` does not list. */
  | 'unexpected-public'
  /** A protected route that does not answer 401 without a credential. */
  | 'unauthenticated'
  /** A protected route that does not answer 401 to a forged or invalid credential. */
  | 'forged-credential'
  /** Another user's object served to a stranger (OWASP API1, BOLA). */
  | 'bola'
  /** A write that accepts an unknown field instead of answering 400 (OWASP API3, mass assignment). */
  | 'mass-assignment'
  /** Hostile input (injection, deep or oversized JSON, malformed JSON) answered 5xx, accepted, leaking or hanging. */
  | 'hostile-input'
  /** A protected route answering without `RateLimit` headers (OWASP API4). */
  | 'rate-limit-headers'
  /** The probe could not decide (a 429, or a BOLA fixture the owner cannot use): nothing was proved. */
  | 'inconclusive';

/** One thing the probe found. @publicApi */
export interface ProbeFinding {
  check: ProbeCheck;
  /** `METHOD /path` as the route inventory lists it. */
  route: string;
  /** What was sent and what came back. */
  detail: string;
  status: number;
}

/** What {@link probeApp} did and found. @publicApi */
export interface ProbeReport {
  /** Routes probed (the inventory minus `exclude`). */
  routes: string[];
  /** Requests sent. */
  requests: number;
  /** Routes each check ran on. */
  coverage: Record<Exclude<ProbeCheck, 'inconclusive'>, number>;
  findings: ProbeFinding[];
}

/**
 * Objects of one user, for the BOLA check: path parameters naming an object `owner` may use and
 * `stranger` may not.
 * @publicApi
 */
export interface ProbeObjectFixture {
  /** Path parameter values, e.g. `{ id: noteOfAlice.id }`. */
  params: Record<string, string>;
  /** Headers of the owner (`await tokens.bearer('alice')`). */
  owner: Record<string, string>;
  /** Headers of another user with the same scopes (`await tokens.bearer('bob')`). */
  stranger: Record<string, string>;
  /** Routes (`METHOD /path` patterns) the fixture is for. @default every protected route whose parameters it all names */
  routes?: string[];
}

/** Options of {@link probeApp}. @publicApi */
export interface ProbeOptions {
  /**
   * Headers of a legitimate caller with every scope (e.g. `await tokens.bearer('alice', { scope })`),
   * so the checks past authentication (rate-limit headers, mass assignment, hostile input) reach
   * the handlers of protected routes. Without it those checks run on public routes only.
   */
  credentials?: Record<string, string>;
  /**
   * The app's trusted test tokens: expired, wrong-audience and wrong-issuer tokens need its key.
   * Without it only forged tokens (alg none, a foreign key) are tried.
   */
  tokens?: TestTokens;
  /** Routes meant to be public (`METHOD /path` patterns; `*` matches any method or path rest). Any other public route is a finding. */
  publicRoutes?: string[];
  /** Object fixtures for the BOLA check. */
  objects?: ProbeObjectFixture[];
  /** A valid body per write route (`'POST /notes': { title: 'x' }`): mass assignment then must be exactly 400. */
  bodies?: Record<string, unknown>;
  /** Values for path parameters the fixtures do not name. @default 'rampart-probe' for any */
  params?: Record<string, string>;
  /** Routes not probed at all (patterns). */
  exclude?: string[];
  /** The checks to run. @default all */
  checks?: Exclude<ProbeCheck, 'inconclusive'>[];
  /** `app.setGlobalPrefix()`'s prefix, which the inventory does not show. @default '' */
  globalPrefix?: string;
  /** Header carrying API keys. @default 'x-api-key' */
  apiKeyHeader?: string;
  /** An answer slower than this is a finding (a hang). @default 10_000 */
  timeoutMs?: number;
  /** Size of the oversized body. @default 2 MiB */
  oversizedBytes?: number;
}
