export { RateLimitModule } from './rate-limit.module';
export { RateLimitGuard } from './rate-limit.guard';
export { LoginThrottle } from './login/login-throttle';
export type { LoginSubject } from './login/login-throttle';
export { RateLimit, SkipRateLimit } from './rate-limit.decorator';
export { InjectRateLimitOptions, InjectRateLimitStorage } from './inject-rate-limit.decorator';
export { DEFAULT_TIERS, MAX_SLIDING_LOG_LIMIT } from './rate-limit.options';
export type {
  Duration,
  LoginLimit,
  LoginThrottleOptions,
  RateLimitAlgorithm,
  RateLimitKey,
  RateLimitKeyPart,
  RateLimitModuleOptions,
  RateLimitPolicy,
  RateLimitTier,
  ResolvedRateLimitOptions,
  ResolvedTier,
} from './rate-limit.options';
export { RATE_LIMIT_OPTIONS, RATE_LIMIT_STORAGE, RATE_LIMIT_POLICY, SKIP_RATE_LIMIT } from './rate-limit.constants';
export type { RateLimitMetadata } from './rate-limit.decorator';
export type { IdentifiedRequest } from './key-resolver';
export type { RateLimitDecision, RateLimitStorage, TierResult } from './storage/rate-limit.storage';
export { StoreRateLimitStorage } from './storage/store-rate-limit.storage';
export { ResilientRateLimitStorage } from './storage/resilient-rate-limit.storage';
export type { ResilienceOptions } from './storage/resilient-rate-limit.storage';
export { RampartThrottlerStorage } from './throttler.storage';
export type { RampartThrottlerStorageOptions } from './throttler.storage';
