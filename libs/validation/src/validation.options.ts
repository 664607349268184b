import { InvalidOptionsError, RampartPart } from '@rampart/core';

/**
 * Limits that can be set for the whole application and tightened for one route with
 * `@RequestLimits()`. Every default is the safe choice for a JSON API.
 * @publicApi
 */
export interface RouteLimits {
  /** Largest request body, in bytes; larger ones are refused with 413. @default 102400 (100 kB) */
  maxBodyBytes?: number;
  /** Media types a request body may have; anything else is refused with 415. @default ['application/json'] */
  mediaTypes?: readonly string[];
  /** Deepest nesting of objects and arrays in a JSON body. @default 20 */
  maxDepth?: number;
  /** Most object keys in a JSON body, counted across every level. @default 1000 */
  maxKeys?: number;
  /** Longest array in a JSON body. @default 1000 */
  maxArrayLength?: number;
  /** Longest string (value or key) in a JSON body, in UTF-16 code units. @default 10000 */
  maxStringLength?: number;
  /** Most query-string parameters. @default 100 */
  maxQueryParams?: number;
  /** Time a handler may take before the request is answered 503 and its AbortSignal fires. @default 10000 */
  timeoutMs?: number;
}

/** Options of `ValidationModule` and `useRequestLimits()`. @publicApi */
export interface ValidationModuleOptions extends RouteLimits {
  /** Longest request target (path and query), in bytes; longer ones get 414. @default 4096 */
  maxUrlLength?: number;
  /** Most request headers; more get 431. @default 100 */
  maxHeaderCount?: number;
  /** Largest request head (request line and headers), set as Node's `maxHeaderSize`; larger gets 431 or 414. @default 16384 */
  maxHeaderBytes?: number;
  /** Node's `server.headersTimeout`: a client has this long to send its headers (slow-loris). @default 10000 */
  headersTimeoutMs?: number;
  /** Node's `server.requestTimeout`: a client has this long to send its whole request. @default 30000 */
  requestTimeoutMs?: number;
  /**
   * Node's `server.keepAliveTimeout`: how long an idle kept-alive connection stays open. Behind a
   * load balancer, make it longer than the balancer's idle timeout. @default 5000
   */
  keepAliveTimeoutMs?: number;
  /**
   * Media types a route accepts when its `@RequestLimits()` names none. `mediaTypes` is what the
   * platform parses; a route that needs another of them (an OAuth endpoint or an HTML form needs
   * `application/x-www-form-urlencoded`) opts in with `@RequestLimits({ mediaTypes })`, and every
   * other route keeps refusing it with 415. Must be among `mediaTypes`. @default mediaTypes
   */
  routeMediaTypes?: readonly string[];
}

export type ResolvedRouteLimits = Readonly<Required<RouteLimits>>;
export type ResolvedValidationOptions = Readonly<Required<ValidationModuleOptions>>;

export const DEFAULT_VALIDATION_OPTIONS: ResolvedValidationOptions = Object.freeze({
  maxBodyBytes: 100 * 1024,
  mediaTypes: Object.freeze(['application/json']),
  maxDepth: 20,
  maxKeys: 1000,
  maxArrayLength: 1000,
  maxStringLength: 10_000,
  maxQueryParams: 100,
  timeoutMs: 10_000,
  maxUrlLength: 4096,
  maxHeaderCount: 100,
  maxHeaderBytes: 16 * 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  routeMediaTypes: Object.freeze(['application/json']),
});

const MEDIA_TYPE = /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/i;

function invalid(message: string): InvalidOptionsError {
  return new InvalidOptionsError('VALIDATION_INVALID_OPTIONS', message);
}

/** Checks limits set globally or on a route; a mistake fails at bootstrap, never on a request. */
export function checkRouteLimits(limits: RouteLimits, where: string): void {
  for (const [name, value] of Object.entries(limits)) {
    if (name === 'mediaTypes' || name === 'routeMediaTypes') {
      if (
        !Array.isArray(value) ||
        value.length === 0 ||
        !value.every((t) => typeof t === 'string' && MEDIA_TYPE.test(t))
      ) {
        throw invalid(`${where}: mediaTypes must be a non-empty list of media types such as application/json.`);
      }
    } else if (value !== undefined && (!Number.isSafeInteger(value) || (value as number) <= 0)) {
      throw invalid(`${where}: ${name} must be a positive integer, got ${String(value)}.`);
    }
  }
}

export function resolveValidationOptions(raw: ValidationModuleOptions = {}): ResolvedValidationOptions {
  checkRouteLimits(raw, 'ValidationModule');
  const defined = Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== undefined));
  const options = { ...DEFAULT_VALIDATION_OPTIONS, ...defined } as ResolvedValidationOptions;
  if (options.requestTimeoutMs < options.headersTimeoutMs) {
    throw invalid('requestTimeoutMs must be at least headersTimeoutMs (Node refuses the opposite).');
  }
  const mediaTypes = options.mediaTypes.map((t) => t.toLowerCase());
  const routeMediaTypes = (raw.routeMediaTypes ?? mediaTypes).map((t) => t.toLowerCase());
  if (!routeMediaTypes.every((t) => mediaTypes.includes(t))) {
    throw invalid('routeMediaTypes must be among mediaTypes (the platform refuses the others before routing).');
  }
  return Object.freeze({
    ...options,
    mediaTypes: Object.freeze(mediaTypes),
    routeMediaTypes: Object.freeze(routeMediaTypes),
  });
}

/** Installed by ValidationModule: its resolved options, for `useRequestLimits(app)`. */
export const VALIDATION_PART = new RampartPart<ResolvedValidationOptions>('ValidationModule');
