import { SetMetadata } from '@nestjs/common';
import { RATE_LIMIT_POLICY, SKIP_RATE_LIMIT } from './rate-limit.constants';
import { resolvePolicy, type RateLimitPolicy } from './rate-limit.options';

/** What `@RateLimit()` stores: the policy as written, and the name of where it stands. */
export interface RateLimitMetadata {
  /** A policy, or the name of one in the module's `policies`. */
  readonly policy: RateLimitPolicy | string;
  readonly fallbackName: string;
}

/**
 * Limits a controller or a handler with its own policy, instead of the module's default: a policy,
 * or the name of one configured in the module's `policies`. A handler's policy replaces its
 * controller's. Policies are checked when the class is defined and names when the application
 * starts, so a mistake stops the application before it serves a request.
 * @publicApi
 * @example
 * @RateLimit({ key: 'ip', tiers: [{ name: 'login', limit: 5, window: '1m', blockFor: '15m' }], algorithm: 'sliding-log' })
 * @Post('login')
 * login() {}
 *
 * @RateLimit('partner') // RateLimitModule.forRoot({ policies: { partner: { key: 'apiKey', tiers: DEFAULT_TIERS } } })
 * @Controller('partner')
 * class PartnerController {}
 */
export function RateLimit(policy: RateLimitPolicy | string): ClassDecorator & MethodDecorator {
  if (typeof policy !== 'string') resolvePolicy(policy, policy.name ?? 'RateLimit', 'sliding-window');
  return (target: object, propertyKey?: string | symbol, descriptor?: PropertyDescriptor): void => {
    const fallbackName =
      propertyKey === undefined
        ? (target as { name: string }).name
        : `${(target as { constructor: { name: string } }).constructor.name}.${String(propertyKey)}`;
    const metadata: RateLimitMetadata = Object.freeze({ policy, fallbackName });
    if (descriptor && propertyKey !== undefined)
      SetMetadata(RATE_LIMIT_POLICY, metadata)(target, propertyKey, descriptor);
    else SetMetadata(RATE_LIMIT_POLICY, metadata)(target as () => void);
  };
}

/**
 * Exempts a controller or a handler from rate limiting (health checks, static assets).
 * @publicApi
 * @example
 * @SkipRateLimit()
 * @Get('health')
 * health() {}
 */
export const SkipRateLimit = (): ClassDecorator & MethodDecorator => SetMetadata(SKIP_RATE_LIMIT, true);
