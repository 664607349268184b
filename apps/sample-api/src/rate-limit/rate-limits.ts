import type { RateLimitModuleOptions } from '@rampart/rate-limit';
import type { AppConfig } from '../app.config';

/**
 * The sample API's limits: every route per IP, writes per user, and the design notes' three tiers
 * on the partner API per API key; routes name a policy (`@RateLimit('writes')`), so the numbers
 * come from configuration. Failed sign-ins are throttled per account and per IP by `LoginThrottle`
 * (global, so the OAuth login form's module can inject it).
 */
export function rateLimitOptions({ rateLimit: config }: AppConfig): RateLimitModuleOptions & { isGlobal: boolean } {
  const [perMinute, perHour, perDay] = config.partner;
  return {
    keyPrefix: config.keyPrefix,
    onStoreFailure: config.onStoreFailure,
    defaultPolicy:
      config.perIpPerMinute > 0
        ? { key: 'ip', tiers: [{ name: 'minute', limit: config.perIpPerMinute, window: '1m' }] }
        : false,
    isGlobal: true,
    login: config.login,
    policies: {
      writes: { key: 'user', tiers: [{ name: 'writes', limit: config.writesPerMinute, window: '1m' }] },
      partner: {
        key: 'apiKey',
        tiers: [
          { name: 'minute', limit: perMinute, window: '1m' },
          { name: 'hour', limit: perHour, window: '1h' },
          { name: 'day', limit: perDay, window: '1d' },
        ],
      },
    },
  };
}
