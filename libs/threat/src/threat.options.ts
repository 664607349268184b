import { InvalidOptionsError, TrustedProxies } from '@rampart/core';
import { compileInspectOptions, type InspectOptions } from './inspection/inspect';
import type { FindingSeverity } from './inspection/types';

/**
 * What happens when a request or a client reaches the threshold.
 * - `monitor`: a security event only (how to roll out: watch, tune `ignore`, then block).
 * - `block`: the request is refused (403 THREAT_DETECTED); a client whose behaviour crossed the
 *   threshold is refused until the signal's window has passed.
 * - `ban`: as `block`, and the client is banned for `banTtlMs`, on every instance.
 * @publicApi
 */
export type ThreatMode = 'monitor' | 'block' | 'ban';

/** A behaviour signal counted per client over a sliding window. */
export interface RateSignal {
  /** Over this many in the window fires the signal. */
  limit: number;
  windowMs: number;
  /** Added to the client's risk score when the signal fires. */
  score: number;
}

export interface ErrorRateSignal {
  /** Share of error responses (status ≥ 400, but for `ignoreStatuses`) above which the signal fires. */
  ratio: number;
  /** Fewer requests than this in the window never fire it: three 404s out of four are no storm. */
  minRequests: number;
  windowMs: number;
  score: number;
}

export interface FailedLoginSignal {
  /** Failed logins from one IP (any accounts) above which the IP is credential stuffing. */
  perIp: number;
  /** Distinct IPs failing on one account above which the account is under a spraying attack. */
  ipsPerAccount: number;
  windowMs: number;
  /** Added to the IP's risk score when it is credential stuffing. */
  score: number;
}

export interface BehaviourOptions {
  /** @default true */
  enabled?: boolean;
  /** @default { limit: 100, windowMs: 60_000, score: 30 } */
  requestRate?: Partial<RateSignal>;
  /** Distinct route templates (unmatched paths for 404s). @default { limit: 50, windowMs: 300_000, score: 70 } */
  scanning?: Partial<RateSignal>;
  /** @default { ratio: 0.5, minRequests: 20, windowMs: 300_000, score: 40 } */
  errorRate?: Partial<ErrorRateSignal> & {
    /**
     * Statuses that are not errors for this signal. 429 is the rate limiter's own answer (a client
     * that exhausts its quota is limited, not an attacker) and 401 an expired or missing
     * credential (a client refreshing its token): counted, a user testing their own limit, or
     * an app with a stale token, would be banned from every route. `[]` counts every status ≥ 400.
     * @default [401, 429]
     */
    ignoreStatuses?: number[];
  };
  /** @default { perIp: 10, ipsPerAccount: 10, windowMs: 600_000, score: 70 } */
  failedLogins?: Partial<FailedLoginSignal>;
}

/** How the request path copes with a slow or failing store (README "Store outages"). */
export interface ThreatStoreOptions {
  /**
   * A ban lookup on the request path is abandoned once the store has answered nothing at all for
   * this long (+25 ms grace; core's StoreLiveness, so a busy event loop does not count); the request
   * then proceeds with the last ban this instance saw for the client still enforced. @default 40
   */
  deadlineMs?: number;
  /** After a store failure or a missed deadline the store is skipped this long, then probed again. @default 2_000 */
  cooldownMs?: number;
  /**
   * Ban lookups are cached per client this long: a ban set by another instance is enforced here
   * within this delay (a ban set by this instance applies at once). 0 disables the cache. @default 1_000
   */
  banCacheMs?: number;
  /** Clients kept in the ban cache (the oldest goes first). @default 10_000 */
  banCacheSize?: number;
  /**
   * Behaviour store scripts (one per client per flush) in flight at once; a flush that would
   * exceed it is dropped and counted (`ThreatService.observationsDropped`). @default 1_000
   */
  maxPendingObservations?: number;
  /**
   * Responses are aggregated per client and sent to the store this often: the delay before the
   * behaviour signals (rate, scanning, error storms) see a response, and so before they can block
   * or ban. A busy client then costs one store script per interval instead of one per response.
   * 0 sends each response on its own at once (one script per response). @default 50
   */
  observationFlushMs?: number;
  /**
   * Most clients aggregated between flushes: a batch this large is sent at once, without waiting for
   * the interval. Bounds the memory a flood of client addresses can take. @default 1_000
   */
  observationBatchSize?: number;
}

/** Options of {@link ThreatModule}. @publicApi */
export interface ThreatModuleOptions {
  /** @default 'block' */
  mode?: ThreatMode;
  /** Risk score at which the mode acts. @default 70 */
  threshold?: number;
  /** Score of a finding by severity. @default { critical: 70, high: 50, medium: 30, low: 10 } */
  scores?: Partial<Record<FindingSeverity, number>>;
  /** CRS-style paranoia level of the inspection rules. @default 1 */
  paranoia?: 1 | 2;
  /** Locations never inspected on any route, e.g. `body.html`. @default [] */
  ignore?: string[];
  /** Most strings (keys and values, headers and cookies included) inspected per request. @default 10_000 */
  maxStrings?: number;
  /** Deepest nesting of a body or query object that is walked. @default 32 */
  maxDepth?: number;
  /**
   * Severity of a request past `maxStrings` or `maxDepth` (its rest is not inspected): `critical`
   * refuses it in `block`/`ban` mode with 413 PAYLOAD_TOO_LARGE (no ban), so nothing hides behind
   * filler; a lower severity only adds to the score; `ignore` lets it through. @default 'critical'
   */
  beyondLimits?: FindingSeverity | 'ignore';
  /** Also inspect every other `x-…` header (at most 32 per request): custom headers carry client input. @default true */
  inspectCustomHeaders?: boolean;
  /** Headers inspected. @default user-agent, referer, cookie, x-forwarded-for, x-forwarded-host, x-original-url, x-rewrite-url */
  inspectHeaders?: string[];
  behaviour?: BehaviourOptions;
  /** How long a ban lasts. @default 900_000 (15 minutes) */
  banTtlMs?: number;
  /**
   * What input findings must show before they ban (mode `ban`): refused requests carrying findings
   * from the same client within `windowMs`. One request proves nothing about who sent it — any
   * page the victim visits can make the browser send `<img src="https://api/?q=<script>">` — so a
   * ban needs a sustained attack, and a browser's cross-site navigation or subresource request
   * (`Sec-Fetch-Site: cross-site` with `Sec-Fetch-Mode: navigate` or `no-cors`) never counts.
   * Each such request is still refused. @default { findings: 3, windowMs: 600_000 }
   */
  banEvidence?: { findings?: number; windowMs?: number };
  /**
   * Paths a ban or block never refuses, e.g. `['/health']` for a load balancer's or a monitoring
   * probe's check from a shared address: exact request paths (no query), matched before routing.
   * The requests are still inspected and observed; list only routes that reveal nothing.
   * @default []
   */
  banExemptPaths?: string[];
  /**
   * Clients never banned nor refused for behaviour (monitoring probes, office NAT): addresses,
   * CIDRs or `loopback`/`private`/`linklocal`. Their malicious input is still refused.
   * @default []
   */
  trustedClients?: string[];
  /** Prefix of every key this module writes in the store. @default 'threat:' */
  keyPrefix?: string;
  store?: ThreatStoreOptions;
}

export interface ResolvedThreatOptions {
  readonly mode: ThreatMode;
  readonly threshold: number;
  readonly inspect: ReturnType<typeof compileInspectOptions>;
  readonly inspectOptions: Readonly<InspectOptions>;
  readonly behaviour: {
    readonly enabled: boolean;
    readonly requestRate: RateSignal;
    readonly scanning: RateSignal;
    readonly errorRate: ErrorRateSignal;
    readonly errorIgnoredStatuses: ReadonlySet<number>;
    readonly failedLogins: FailedLoginSignal;
  };
  readonly banExemptPaths: ReadonlySet<string>;
  readonly banTtlMs: number;
  readonly banEvidence: { readonly findings: number; readonly windowMs: number };
  readonly trustedClients: TrustedProxies;
  readonly keyPrefix: string;
  readonly store: Readonly<Required<ThreatStoreOptions>>;
}

const MODES: readonly string[] = ['monitor', 'block', 'ban'];

function fail(message: string): never {
  throw new InvalidOptionsError('THREAT_INVALID_OPTIONS', message);
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) fail(`${name} must be a positive number, got ${String(value)}.`);
  return value;
}

function signal<T extends object>(name: string, defaults: T, raw: Partial<T> | undefined): T {
  const merged = { ...defaults, ...raw };
  for (const [key, value] of Object.entries(merged)) positive(`behaviour.${name}.${key}`, value as number);
  return Object.freeze(merged);
}

export function resolveThreatOptions(raw: ThreatModuleOptions = {}): ResolvedThreatOptions {
  const mode = raw.mode ?? 'block';
  if (!MODES.includes(mode)) fail(`mode must be 'monitor', 'block' or 'ban', got '${mode}'.`);
  const threshold = positive('threshold', raw.threshold ?? 70);
  // Options may come from JavaScript or a config file: check what the types promise.
  const paranoia = raw.paranoia ?? 1;
  if (![1, 2].includes(paranoia)) fail('paranoia must be 1 or 2.');
  let trustedClients: TrustedProxies;
  try {
    trustedClients = new TrustedProxies(raw.trustedClients ?? []);
  } catch (error) {
    fail(`trustedClients: ${(error as Error).message.replace('trusted proxy', 'trusted client')}`);
  }
  const behaviour = raw.behaviour ?? {};
  const { ignoreStatuses = [401, 429], ...errorRateSignal } = behaviour.errorRate ?? {};
  const errorRate = signal('errorRate', { ratio: 0.5, minRequests: 20, windowMs: 300_000, score: 40 }, errorRateSignal);
  if (!Array.isArray(ignoreStatuses) || ignoreStatuses.some((s) => !Number.isInteger(s) || s < 400 || s > 599)) {
    fail('behaviour.errorRate.ignoreStatuses must list HTTP error statuses (400 to 599).');
  }
  const banExemptPaths = raw.banExemptPaths ?? [];
  if (!Array.isArray(banExemptPaths) || banExemptPaths.some((p) => typeof p !== 'string' || !/^\/[^?#\s]*$/.test(p))) {
    fail("banExemptPaths must list request paths starting with '/', without query, e.g. '/health'.");
  }
  if (errorRate.ratio > 1) fail('behaviour.errorRate.ratio must be at most 1.');
  const beyondLimits = raw.beyondLimits ?? 'critical';
  if (!['critical', 'high', 'medium', 'low', 'ignore'].includes(beyondLimits)) {
    fail(`beyondLimits must be 'critical', 'high', 'medium', 'low' or 'ignore', got '${beyondLimits}'.`);
  }
  const inspectOptions: InspectOptions = {
    paranoia,
    maxStrings: Math.ceil(positive('maxStrings', raw.maxStrings ?? 10_000)),
    maxDepth: Math.ceil(positive('maxDepth', raw.maxDepth ?? 32)),
    beyondLimits,
    ignore: raw.ignore ?? [],
    threshold,
    ...(raw.scores ? { scores: raw.scores } : {}),
    ...(raw.inspectHeaders ? { headers: raw.inspectHeaders } : {}),
    customHeaders: raw.inspectCustomHeaders ?? true,
  };
  return Object.freeze({
    mode,
    threshold,
    inspect: compileInspectOptions(inspectOptions),
    inspectOptions: Object.freeze(inspectOptions),
    behaviour: Object.freeze({
      enabled: behaviour.enabled ?? true,
      requestRate: signal('requestRate', { limit: 100, windowMs: 60_000, score: 30 }, behaviour.requestRate),
      scanning: signal('scanning', { limit: 50, windowMs: 300_000, score: 70 }, behaviour.scanning),
      errorRate,
      errorIgnoredStatuses: new Set(ignoreStatuses),
      failedLogins: signal(
        'failedLogins',
        { perIp: 10, ipsPerAccount: 10, windowMs: 600_000, score: 70 },
        behaviour.failedLogins,
      ),
    }),
    banTtlMs: Math.round(positive('banTtlMs', raw.banTtlMs ?? 900_000)),
    banEvidence: Object.freeze({
      findings: Math.ceil(positive('banEvidence.findings', raw.banEvidence?.findings ?? 3)),
      windowMs: Math.round(positive('banEvidence.windowMs', raw.banEvidence?.windowMs ?? 600_000)),
    }),
    banExemptPaths: new Set(banExemptPaths),
    trustedClients,
    keyPrefix: raw.keyPrefix ?? 'threat:',
    store: resolveStoreOptions(raw.store ?? {}),
  });
}

function resolveStoreOptions(raw: ThreatStoreOptions): Readonly<Required<ThreatStoreOptions>> {
  const banCacheMs = raw.banCacheMs ?? 1_000;
  if (!Number.isFinite(banCacheMs) || banCacheMs < 0) fail(`store.banCacheMs must be 0 or more, got ${banCacheMs}.`);
  const observationFlushMs = raw.observationFlushMs ?? 50;
  if (!Number.isSafeInteger(observationFlushMs) || observationFlushMs < 0 || observationFlushMs > 10_000) {
    fail(
      `store.observationFlushMs must be a whole number of milliseconds from 0 to 10 000, got ${observationFlushMs}.`,
    );
  }
  return Object.freeze({
    deadlineMs: positive('store.deadlineMs', raw.deadlineMs ?? 40),
    cooldownMs: positive('store.cooldownMs', raw.cooldownMs ?? 2_000),
    banCacheMs,
    banCacheSize: Math.ceil(positive('store.banCacheSize', raw.banCacheSize ?? 10_000)),
    maxPendingObservations: Math.ceil(positive('store.maxPendingObservations', raw.maxPendingObservations ?? 1_000)),
    observationFlushMs,
    observationBatchSize: Math.ceil(positive('store.observationBatchSize', raw.observationBatchSize ?? 1_000)),
  });
}
