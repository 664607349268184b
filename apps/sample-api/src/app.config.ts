import type { AlertHandler } from '@rampart/audit';
import type { ClientJwksOptions } from '@rampart/oauth-server';
import type { OutboundClientOptions } from '@rampart/outbound';
import type { LoginThrottleOptions } from '@rampart/rate-limit';
import type { ThreatMode, ThreatModuleOptions } from '@rampart/threat';
import type { JSONWebKeySet, JWK } from 'jose';
import { DEMO_PARTNER_JWKS, DEMO_PARTNER_PRIVATE_JWK } from './oauth/demo-client-keys';

/** Injection token of the sample's {@link AppConfig} (provided globally by AppModule). */
export const APP_CONFIG = Symbol('APP_CONFIG');

/** The sample API's settings, read once from the environment. */
export interface AppConfig {
  /** `NODE_ENV=production`: development conveniences (demo users, default secrets, generated keys) refuse to start. */
  production: boolean;
  /** Seed the demo users (`DEMO_USERS`, default on; refused in production: their passwords are public). */
  demoUsers: boolean;
  /** Peers whose X-Forwarded-* headers are believed (CIDRs or loopback/private/linklocal); `TRUSTED_PROXIES`, empty: none. */
  trustedProxies: string[];
  /** `TRUSTED_PROXIES` is unset: only loopback is trusted, and the sample warns about it (proxy-trust-warnings.ts). */
  trustedProxiesByDefault: boolean;
  /** Open sockets one client may hold (`CONNECTIONS_PER_CLIENT`); unset: no cap (behind a proxy, cap there). */
  connectionsPerClient: number | undefined;
  /** Shared state in Redis when set (`REDIS_URL`); in memory otherwise (unless `redisSentinel`). */
  redisUrl: string | undefined;
  /**
   * Shared state on a primary managed by Redis Sentinel: `REDIS_SENTINELS` (`host:port`, comma-
   * separated) and `REDIS_SENTINEL_NAME` (the name the sentinels monitor). The store and the audit
   * stream ask the sentinels for the current primary and follow its failovers. Set either this or
   * `REDIS_URL`, not both.
   */
  redisSentinel: { sentinels: { host: string; port: number }[]; name: string } | undefined;
  /** Browser origins allowed by CORS. */
  corsOrigins: string[];
  /** Redirect plain HTTP to HTTPS (behind a TLS-terminating proxy). */
  httpsRedirect: boolean;
  /** Public host name used in redirects. */
  publicHost: string | undefined;
  /** `iss` of accepted access tokens. */
  jwtIssuer: string;
  /** `aud` accepted access tokens must name: this API. */
  jwtAudience: string;
  /** The token issuer's JWKS; unset: a development key is generated at start (refused in production). */
  jwksUrl: string | undefined;
  /** Refuse to start while a route has no explicit auth decorator (default: in production). */
  requireExplicitAuth: boolean;
  /** Rate limits (see rate-limit/rate-limits.ts); tests raise or lower them. */
  rateLimit: RateLimitConfig;
  /** Threat detection: mode (THREAT_MODE), trusted clients (THREAT_TRUSTED_CLIENTS); tests set thresholds. */
  threat: ThreatModuleOptions;
  /** The OAuth 2.1 server (oauth/sample-oauth.module.ts); its issuer is `jwtIssuer`, its resource `jwtAudience`. */
  oauth: OAuthConfig;
  /** The outbound call to a partner (integrations/): through `@rampart/outbound`'s safe client. */
  partner: PartnerIntegrationConfig;
  /** The webhook receivers (webhooks/sample-webhooks.module.ts). */
  webhooks: WebhooksConfig;
  /** The audit trail (audit/sample-audit.ts): metrics credential, history stream, alert rules. */
  audit: AuditConfig;
}

export interface AuditConfig {
  /** Bearer credential of `GET /metrics` (`METRICS_TOKEN`, at least 16 characters); unset: no metrics endpoint. */
  metricsToken: string | undefined;
  /** The Redis stream of the shared event history (with `REDIS_URL`), and the most entries it keeps (about). */
  stream: string;
  streamMaxLength: number;
  /** Prefix of the alert state in the store. */
  keyPrefix: string;
  /** This instance's name in recorded events (`INSTANCE_NAME`; default hostname:pid). */
  instance?: string;
  /** Failed sign-ins from one IP that open a credential-stuffing incident, and over what window. */
  failedLogins: { threshold: number; windowMs: number };
  /** Refusals for one principal that open a permission-probing incident, and over what window. */
  deniedAccess: { threshold: number; windowMs: number };
  /** How often incidents are checked for recovery. */
  alertCheckIntervalMs: number;
  /** Called once per incident and once per recovery, besides the log line (tests, a pager). */
  onAlert?: AlertHandler;
}

export interface PartnerIntegrationConfig {
  /** The partner API's base URL (`PARTNER_URL`); unset: `/integrations/partner/quote` answers 503. */
  url: string | undefined;
  /** Milliseconds the whole call may take (`PARTNER_TIMEOUT_MS`, default 5000). */
  totalTimeoutMs: number;
  /**
   * Tests only, never read from the environment: the local fake partner's resolver and the
   * loopback range exempted from the SSRF deny list (`allowPrivateNetworks`).
   */
  testOnly?: Pick<OutboundClientOptions, 'resolver' | 'allowPrivateNetworks'>;
}

export interface WebhooksConfig {
  /** `whsec_…` secrets of `POST /webhooks/standard` (`WEBHOOK_SECRETS`, comma-separated, newest first). */
  secrets: string[];
  /** Stripe endpoint secrets of `POST /webhooks/stripe` (`STRIPE_WEBHOOK_SECRETS`, comma-separated). */
  stripeSecrets: string[];
  /** Where `POST /webhooks/outgoing/ping` delivers (`WEBHOOK_SUBSCRIBER_URL`); unset: that route answers 503. */
  subscriberUrl: string | undefined;
  /** `whsec_…` secret outgoing webhooks are signed with (`WEBHOOK_SIGNING_SECRET`). */
  signingSecret: string;
  /** Tests only, never read from the environment: the local subscriber's resolver and exemption. */
  testOnly?: Pick<OutboundClientOptions, 'resolver' | 'allowPrivateNetworks'>;
}

export interface OAuthConfig {
  /** Private signing JWKs (`OAUTH_SIGNING_KEYS`, a JSON array, newest first); unset: generated at start (development). */
  signingKeys: { jwk: JWK }[] | undefined;
  /** Secret of the `demo-backend` client (`OAUTH_DEMO_BACKEND_SECRET`, at least 32 characters). */
  demoBackendSecret: string;
  /** Token requests per IP per minute. */
  tokenPerMinute: number;
  /** Lifetime of authorization codes, in seconds (at most 600). */
  codeTtlSeconds: number;
  /** Grace for a concurrent refresh with one token (two tabs); unset: the server's default (5 s). */
  refreshReuseGraceSeconds?: number;
  /** Idle lifetime of refresh tokens; unset: the server's default (3 days). */
  refreshIdleTtlSeconds?: number;
  /** Every authorization request through the PAR endpoint (RFC 9126), `OAUTH_REQUIRE_PAR=true`. */
  requirePushedAuthorizationRequests?: boolean;
  /** DPoP proofs must carry a server nonce (`OAUTH_DPOP_REQUIRE_NONCE=true`; RFC 9449 §8). */
  dpopRequireNonce: boolean;
  /** Public JWKS of the `demo-partner` `private_key_jwt` client (`OAUTH_DEMO_PARTNER_JWKS`); default: the published demo key. */
  demoPartnerJwks: JSONWebKeySet;
  /** `fapi2` (`OAUTH_PROFILE=fapi2`): the FAPI 2.0 Security Profile; only FAPI clients are registered. */
  profile: 'oauth2.1' | 'fapi2';
  /**
   * `jwks_uri` of the `demo-remote-partner` `private_key_jwt` client (`OAUTH_DEMO_REMOTE_JWKS_URI`);
   * unset: that client is not registered.
   */
  demoRemoteJwksUri?: string;
  /**
   * How clients' `jwks_uri` are fetched (`OAuthServerOptions.clientJwks`). Tests only, never read
   * from the environment: the local JWKS server's resolver, CA and loopback exemption.
   */
  clientJwks?: ClientJwksOptions;
}

export interface RateLimitConfig {
  /** Requests per IP per minute on every route without its own policy; 0 turns it off. */
  perIpPerMinute: number;
  /**
   * Failed sign-ins allowed per account and per IP before a block (`LoginThrottle`; successes do
   * not count); `{}`: the lib's defaults, 10 per account and 20 per IP in 15 minutes, blocked 15 minutes.
   */
  login: LoginThrottleOptions;
  /** Writes per user (per IP when anonymous) per minute. */
  writesPerMinute: number;
  /** The partner API's tiers per API key: per minute, hour and day (the design notes' 100/1000/10000). */
  partner: [minute: number, hour: number, day: number];
  /** `failOpen`: per-instance limits while Redis is down; `failClosed`: 503. */
  onStoreFailure: 'failOpen' | 'failClosed';
  /** Prefix of rate-limit keys in the store. */
  keyPrefix: string;
}

const THREAT_MODES: readonly string[] = ['monitor', 'block', 'ban'];

/** `REDIS_SENTINELS` + `REDIS_SENTINEL_NAME`; anything malformed stops the start with the variable named. */
function redisSentinel(env: NodeJS.ProcessEnv): AppConfig['redisSentinel'] {
  const sentinels = list(env.REDIS_SENTINELS || undefined, []);
  const name = env.REDIS_SENTINEL_NAME?.trim();
  if (sentinels.length === 0) {
    if (name) throw new Error('REDIS_SENTINEL_NAME is set without REDIS_SENTINELS (host:port of each sentinel).');
    return undefined;
  }
  if (!name) throw new Error('REDIS_SENTINELS needs REDIS_SENTINEL_NAME: the name the sentinels monitor.');
  if (env.REDIS_URL) throw new Error('Set REDIS_URL or REDIS_SENTINELS, not both: which Redis is meant is unclear.');
  return {
    name,
    sentinels: sentinels.map((address) => {
      const [, host, portText] = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(address) ?? [];
      const port = Number(portText);
      if (host === undefined || !(port >= 1 && port <= 65_535))
        throw new Error(`REDIS_SENTINELS: "${address}" is not host:port.`);
      return { host: host.replace(/^\[(.*)\]$/, '$1'), port };
    }),
  };
}

/**
 * Where the shared state lives, as core's Redis store and the audit stream take it: a primary
 * found through Sentinel, a Redis URL, or nowhere (in memory: `undefined`).
 */
export function redisConnection(
  config: Pick<AppConfig, 'redisUrl' | 'redisSentinel'>,
): { url: string } | { sentinel: NonNullable<AppConfig['redisSentinel']> } | undefined {
  if (config.redisSentinel) return { sentinel: config.redisSentinel };
  return config.redisUrl ? { url: config.redisUrl } : undefined;
}

function list(value: string | undefined, fallback: string[]): string[] {
  return value === undefined
    ? fallback
    : value
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean);
}

/** What `TRUSTED_PROXIES` is when unset: a proxy on this host (a local nginx), nothing else. */
export const DEFAULT_TRUSTED_PROXIES: readonly string[] = ['loopback'];

/** The `demo-backend` client's secret when none is configured: public, so refused in production. */
export const DEFAULT_DEMO_BACKEND_SECRET = 'demo-backend-secret-change-me-0123456789';

/** The webhook receivers' secrets when none are configured: public, so refused in production. */
export const DEMO_WEBHOOK_SECRET = 'whsec_ZGVtby13ZWJob29rLXNlY3JldC1jaGFuZ2UtbWUtMDE=';
export const DEMO_STRIPE_WEBHOOK_SECRET = 'whsec_demo_stripe_secret_change_me_0123';
export const DEMO_WEBHOOK_SIGNING_SECRET = 'whsec_ZGVtby1vdXRnb2luZy13ZWJob29rLXNlY3JldC0wMQ==';

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  return {
    production: env.NODE_ENV === 'production',
    demoUsers: env.DEMO_USERS !== 'false',
    trustedProxies: list(env.TRUSTED_PROXIES, [...DEFAULT_TRUSTED_PROXIES]),
    trustedProxiesByDefault: env.TRUSTED_PROXIES === undefined,
    connectionsPerClient: env.CONNECTIONS_PER_CLIENT ? Number(env.CONNECTIONS_PER_CLIENT) : undefined,
    redisUrl: env.REDIS_URL || undefined,
    redisSentinel: redisSentinel(env),
    corsOrigins: list(env.CORS_ORIGINS, ['http://localhost:5173']),
    httpsRedirect: env.HTTPS_REDIRECT === 'true',
    publicHost: env.PUBLIC_HOST || undefined,
    jwtIssuer: env.JWT_ISSUER || 'http://localhost:3000',
    // An absolute URI: it is also the OAuth server's resource indicator (RFC 8707 §2).
    jwtAudience: env.JWT_AUDIENCE || 'http://localhost:3000/api',
    jwksUrl: env.JWKS_URL || undefined,
    requireExplicitAuth: env.REQUIRE_EXPLICIT_AUTH
      ? env.REQUIRE_EXPLICIT_AUTH === 'true'
      : env.NODE_ENV === 'production',
    rateLimit: {
      perIpPerMinute: Number(env.RATE_LIMIT_PER_IP_PER_MINUTE ?? 1200),
      login: {},
      writesPerMinute: 60,
      partner: [100, 1000, 10_000],
      onStoreFailure: env.RATE_LIMIT_ON_STORE_FAILURE === 'failClosed' ? 'failClosed' : 'failOpen',
      keyPrefix: 'rl:',
    },
    threat: {
      // Monitor by default, as the OWASP CRS advises for a new deployment: read the threat.detected
      // events, add @ThreatPolicy({ ignore }) where a field carries code, then set THREAT_MODE=block or ban.
      mode: THREAT_MODES.includes(env.THREAT_MODE ?? '') ? (env.THREAT_MODE as ThreatMode) : 'monitor',
      trustedClients: list(env.THREAT_TRUSTED_CLIENTS, []),
      // A banned address still gets its health check (a load balancer or a probe behind the same
      // NAT): /health reveals nothing and must not mark the instance down.
      banExemptPaths: ['/health'],
      keyPrefix: 'threat:',
    },
    oauth: {
      signingKeys: env.OAUTH_SIGNING_KEYS
        ? (JSON.parse(env.OAUTH_SIGNING_KEYS) as JWK[]).map((jwk) => ({ jwk }))
        : undefined,
      demoBackendSecret: env.OAUTH_DEMO_BACKEND_SECRET || DEFAULT_DEMO_BACKEND_SECRET,
      tokenPerMinute: Number(env.OAUTH_TOKEN_PER_MINUTE ?? 120),
      codeTtlSeconds: 60,
      requirePushedAuthorizationRequests: env.OAUTH_REQUIRE_PAR === 'true',
      dpopRequireNonce: env.OAUTH_DPOP_REQUIRE_NONCE === 'true',
      demoPartnerJwks: env.OAUTH_DEMO_PARTNER_JWKS
        ? (JSON.parse(env.OAUTH_DEMO_PARTNER_JWKS) as JSONWebKeySet)
        : DEMO_PARTNER_JWKS,
      profile: env.OAUTH_PROFILE === 'fapi2' ? 'fapi2' : 'oauth2.1',
      ...(env.OAUTH_DEMO_REMOTE_JWKS_URI ? { demoRemoteJwksUri: env.OAUTH_DEMO_REMOTE_JWKS_URI } : {}),
    },
    audit: {
      metricsToken: env.METRICS_TOKEN || undefined,
      stream: 'rampart:audit:events',
      streamMaxLength: 100_000,
      keyPrefix: 'audit:',
      ...(env.INSTANCE_NAME ? { instance: env.INSTANCE_NAME } : {}),
      failedLogins: { threshold: 10, windowMs: 10 * 60_000 },
      deniedAccess: { threshold: 20, windowMs: 5 * 60_000 },
      alertCheckIntervalMs: 5_000,
    },
    partner: {
      url: env.PARTNER_URL || undefined,
      totalTimeoutMs: Number(env.PARTNER_TIMEOUT_MS ?? 5000),
    },
    webhooks: {
      secrets: list(env.WEBHOOK_SECRETS || undefined, [DEMO_WEBHOOK_SECRET]),
      stripeSecrets: list(env.STRIPE_WEBHOOK_SECRETS || undefined, [DEMO_STRIPE_WEBHOOK_SECRET]),
      subscriberUrl: env.WEBHOOK_SUBSCRIBER_URL || undefined,
      signingSecret: env.WEBHOOK_SIGNING_SECRET || DEMO_WEBHOOK_SIGNING_SECRET,
    },
  };
}

/**
 * Refuses, with one message naming every fix, a production configuration that would accept
 * credentials published in this repository: the demo users' passwords, the default `demo-backend`
 * secret, a token-signing key generated at start. A sample is what people copy and deploy.
 * @throws Error when `config.production` and any of them is configured.
 */
export function assertNoDemoCredentials(config: AppConfig): void {
  if (!config.production) return;
  const problems: string[] = [];
  if (config.demoUsers) problems.push('demo users with published passwords are seeded (set DEMO_USERS=false)');
  if (config.oauth.demoBackendSecret === DEFAULT_DEMO_BACKEND_SECRET) {
    problems.push('the demo-backend OAuth client uses the published default secret (set OAUTH_DEMO_BACKEND_SECRET)');
  }
  if (config.oauth.demoPartnerJwks.keys.some((key) => key.x === DEMO_PARTNER_PRIVATE_JWK.x)) {
    problems.push(
      'the demo-partner OAuth client accepts the published demo key (set OAUTH_DEMO_PARTNER_JWKS to your public JWKS)',
    );
  }
  if (!config.jwksUrl)
    problems.push('access tokens would be verified against a generated development key (set JWKS_URL)');
  if (!config.oauth.signingKeys)
    problems.push('the OAuth server would sign with a generated key (set OAUTH_SIGNING_KEYS)');
  if (
    config.webhooks.secrets.includes(DEMO_WEBHOOK_SECRET) ||
    config.webhooks.stripeSecrets.includes(DEMO_STRIPE_WEBHOOK_SECRET)
  ) {
    problems.push(
      'a webhook receiver accepts the published demo secret (set WEBHOOK_SECRETS and STRIPE_WEBHOOK_SECRETS)',
    );
  }
  if (config.webhooks.subscriberUrl && config.webhooks.signingSecret === DEMO_WEBHOOK_SIGNING_SECRET) {
    problems.push('outgoing webhooks would be signed with the published demo secret (set WEBHOOK_SIGNING_SECRET)');
  }
  if (problems.length > 0) {
    throw new Error(`Refusing to start with NODE_ENV=production and development credentials: ${problems.join('; ')}.`);
  }
}
