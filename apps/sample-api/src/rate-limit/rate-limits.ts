import type { RateLimitModuleOptions } from '@rampart/rate-limit';
import type { AppConfig } from '../app.config';

/**
 * The sample API's limits: every route per IP, logins per IP with a block (credential stuffing),
 * writes per user, and the design notes' three tiers on the partner API per API key. Routes name
 * a policy (`@RateLimit('login')`), so the numbers come from configuration.
 */
export function rateLimitOptions({ rateLimit: config }: AppConfig): RateLimitModuleOptions {
  const [perMinute, perHour, perDay] = config.partner;
  return {
    keyPrefix: config.keyPrefix,
    onStoreFailure: config.onStoreFailure,
    defaultPolicy:
      config.perIpPerMinute > 0
        ? { key: 'ip', tiers: [{ name: 'minute', limit: config.perIpPerMinute, window: '1m' }] }
        : false,
    policies: {
      // Exact (sliding-log): five means five, even at a window boundary.
      login: {
        key: 'ip',
        algorithm: 'sliding-log',
        tiers: [
          { name: 'login', limit: config.loginPerMinute, window: '1m', blockFor: `${config.loginBlockMinutes}m` },
        ],
      },
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
