import { Module } from '@nestjs/common';
import { APP_GUARD, DiscoveryModule } from '@nestjs/core';
import { RAMPART_STORE, SecurityEvents, type Store } from '@rampart/core';
import { RATE_LIMIT_OPTIONS, RATE_LIMIT_STORAGE } from './rate-limit.constants';
import { LoginThrottle } from './login/login-throttle';
import { RateLimitGuard } from './rate-limit.guard';
import { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN } from './rate-limit.module-definition';
import {
  resolveRateLimitOptions,
  type RateLimitModuleOptions,
  type ResolvedRateLimitOptions,
} from './rate-limit.options';
import { createRateLimitStorage } from './storage/create-rate-limit-storage';

/**
 * Multi-tier rate limiting: a global {@link RateLimitGuard}, `@RateLimit()` / `@SkipRateLimit()`,
 * counters in memory or in core's Redis store (one atomic script per decision), the IETF
 * `RateLimit` headers, and a tested outage policy.
 *
 * Import it after the module that registers the authentication guard: Nest runs global guards in
 * the order their modules are imported, and the `user`/`apiKey` keys need the authenticated caller.
 * @publicApi
 * @example
 * imports: [
 *   RampartCoreModule.forRoot({ store: { type: 'redis', url: process.env.REDIS_URL } }),
 *   AuthModule.forRoot({ ... }),
 *   RateLimitModule.forRoot({ defaultPolicy: { key: 'ip', tiers: DEFAULT_TIERS } }),
 * ]
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    {
      provide: RATE_LIMIT_OPTIONS,
      inject: [MODULE_OPTIONS_TOKEN],
      useFactory: (raw: RateLimitModuleOptions) => resolveRateLimitOptions(raw),
    },
    {
      provide: RATE_LIMIT_STORAGE,
      inject: [RATE_LIMIT_OPTIONS, { token: RAMPART_STORE, optional: true }, { token: SecurityEvents, optional: true }],
      useFactory: (options: ResolvedRateLimitOptions, store?: Store, events?: SecurityEvents) =>
        createRateLimitStorage(options, store, events),
    },
    { provide: APP_GUARD, useClass: RateLimitGuard },
    LoginThrottle,
  ],
  exports: [RATE_LIMIT_OPTIONS, RATE_LIMIT_STORAGE, LoginThrottle],
})
export class RateLimitModule extends ConfigurableModuleClass {}
