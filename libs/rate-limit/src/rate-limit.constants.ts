/** Injection token of the resolved {@link RateLimitModuleOptions}. */
export const RATE_LIMIT_OPTIONS = Symbol('RATE_LIMIT_OPTIONS');
/** Injection token of the {@link RateLimitStorage} the guard decides with. */
export const RATE_LIMIT_STORAGE = Symbol('RATE_LIMIT_STORAGE');
/** Metadata: the `@RateLimit()` policy of a controller or handler ({@link RateLimitMetadata}), e.g. for a route inventory. */
export const RATE_LIMIT_POLICY = Symbol('rampart:rate-limit:policy');
/** Metadata: `@SkipRateLimit()`. */
export const SKIP_RATE_LIMIT = Symbol('rampart:rate-limit:skip');
