import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import {
  RAMPART_STORE,
  RampartPart,
  RampartPipeline,
  RampartPipelineModule,
  SecurityEvents,
  type Store,
} from '@rampart/core';
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
 * Its guard runs in Rampart's pipeline, whatever the order of the imports: IP and route limits
 * before authentication (bad credentials are limited too), user, API-key and function limits
 * after it. A `user`/`apiKey` key without an authentication phase (AuthModule, or your own
 * authenticator registered with `RampartPipeline`) fails the start-up: it would silently limit by IP.
 * @publicApi
 * @example
 * imports: [
 *   RampartCoreModule.forRoot({ store: { type: 'redis', url: process.env.REDIS_URL } }),
 *   AuthModule.forRoot({ ... }),
 *   RateLimitModule.forRoot({ defaultPolicy: { key: 'ip', tiers: DEFAULT_TIERS } }),
 * ]
 */
/** Marks RateLimitModule as installed (once per application). */
const RATE_LIMIT_PART = new RampartPart<true>('RateLimitModule');

@Module({
  imports: [DiscoveryModule, RampartPipelineModule],
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
    RateLimitGuard,
    {
      // Two phases of Rampart's pipeline, placed around authentication whatever the import order.
      provide: Symbol('RATE_LIMIT_PIPELINE_STEPS'),
      inject: [RampartPipeline, RateLimitGuard],
      useFactory: (pipeline: RampartPipeline, guard: RateLimitGuard) => {
        pipeline.install(RATE_LIMIT_PART, true);
        pipeline.register({
          phase: 'preAuthenticationLimits',
          owner: 'RateLimitModule',
          canActivate: (c) => guard.canActivatePreAuthentication(c),
        });
        pipeline.register({
          phase: 'postAuthenticationLimits',
          owner: 'RateLimitModule',
          canActivate: (c) => guard.canActivatePostAuthentication(c),
          onAuthenticationFailed: (c) => guard.onAuthenticationFailed(c),
          requires: () => guard.requiredPhases(),
        });
        return true;
      },
    },
    LoginThrottle,
  ],
  exports: [RATE_LIMIT_OPTIONS, RATE_LIMIT_STORAGE, LoginThrottle],
})
export class RateLimitModule extends ConfigurableModuleClass {}
