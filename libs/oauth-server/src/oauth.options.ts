import { DPOP_ALGORITHMS, DPOP_ALLOWED_ALGORITHMS, parseScope } from '@rampart/auth';
import { InvalidOptionsError } from '@rampart/core';
import { MemoryClientRegistry, type OAuthClientRegistry } from './clients/client-registry';
import { CLIENT_ASSERTION_ALGORITHMS } from './http/client-assertions';
import { toOAuthClient, type OAuthClientRegistration } from './clients/oauth-client';
import {
  resolveClientJwksOptions,
  type ClientJwksOptions,
  type ResolvedClientJwksOptions,
} from './clients/client-jwks';
import { FAPI2_ALGORITHMS, FAPI2_MAX_CODE_TTL_SECONDS, Fapi2ClientRegistry, fapi2ClientProblem } from './fapi2-profile';
import { isLoopbackHost } from './clients/redirect-uri';
import type { OAuthInteraction } from './oauth-interaction';
import type { SigningKeyInput } from './keys/signing-keys';

/** Options of {@link OAuthServerModule}. @publicApi */
export interface OAuthServerOptions {
  /** The issuer identifier (RFC 8414 §2): an https URL without query or fragment (http for loopback only). */
  issuer: string;
  /** The clients: a registry, or registrations kept in memory. */
  clients: OAuthClientRegistry | OAuthClientRegistration[];
  /** The host application's login and consent (who is signed in, where to sign in). */
  interaction: OAuthInteraction;
  /**
   * Private signing keys, newest first. Without them a key is generated at start (development only:
   * refused when `NODE_ENV` is `production`), with a loud warning.
   */
  signingKeys?: SigningKeyInput[];
  /**
   * Resource indicators (RFC 8707): the APIs tokens may be issued for (absolute URIs, the `aud`
   * of the tokens), and the one used when a request names none.
   */
  resources: { allowed: string[]; default: string };
  /** Access-token lifetime. @default 900 (15 minutes) */
  accessTokenTtlSeconds?: number;
  /** Authorization-code lifetime (at most 600, OAuth 2.1 §4.1.2). @default 60 */
  authorizationCodeTtlSeconds?: number;
  /**
   * Absolute lifetime of a refresh-token family: rotation never extends it. A client's own
   * `refreshTokenTtlSeconds` may shorten it, never lengthen it. @default 1_209_600 (14 days)
   */
  refreshTokenTtlSeconds?: number;
  /**
   * Idle lifetime of a refresh token (RFC 9700 §4.14.2): a family not refreshed for this long is
   * dead. A client's own `refreshTokenIdleTtlSeconds` may shorten it. @default 259_200 (3 days)
   */
  refreshTokenIdleTtlSeconds?: number;
  /**
   * How long after a rotation the rotated-out token is answered `invalid_grant` without revoking
   * the family: two tabs refreshing with the same token at once. Past it, reuse revokes the family.
   * 0 turns the grace off. @default 5
   */
  refreshTokenReuseGraceSeconds?: number;
  /** Time a user has to sign in (and consent) once sent to the login page. @default 600 */
  interactionTtlSeconds?: number;
  /** A new signing key is published this long before it signs (longer than verifiers cache the JWKS). @default 900 */
  keyPublishLeadSeconds?: number;
  /** Scopes advertised in the metadata (`scopes_supported`). @default the union of the clients' scopes when static */
  scopesSupported?: string[];
  /**
   * Every authorization request must come through the PAR endpoint (RFC 9126 §5); a client's own
   * `requirePushedAuthorizationRequests` requires it for that client only. @default false
   */
  requirePushedAuthorizationRequests?: boolean;
  /** Lifetime of a pushed request's `request_uri` (RFC 9126 §2.2: short). @default 60 (at most 600) */
  pushedRequestTtlSeconds?: number;
  /** DPoP (RFC 9449) at the token endpoint: proofs bind the tokens to the client's key. */
  dpop?: OAuthDpopOptions;
  /**
   * Accepted `alg` of `private_key_jwt` client assertions (RFC 7523), asymmetric only.
   * @default ['ES256', 'PS256', 'EdDSA', 'RS256']
   */
  clientAssertionAlgorithms?: string[];
  /** Fetching and caching the JWKS of `private_key_jwt` clients registered with `jwksUri`. */
  clientJwks?: ClientJwksOptions;
  /**
   * `fapi2`: the FAPI 2.0 Security Profile (see the README's table): PAR and DPoP required for every
   * client, confidential `private_key_jwt` clients only with https redirect URIs, codes of at most
   * 60 s, PS256/ES256/EdDSA only. Configuration that breaks it fails at start.
   * @default 'oauth2.1'
   */
  profile?: 'oauth2.1' | 'fapi2';
}

/** DPoP at the token endpoint. @publicApi */
export interface OAuthDpopOptions {
  /** Accepted proof algorithms (`dpop_signing_alg_values_supported`). @default ['ES256', 'EdDSA', 'PS256', 'RS256'] */
  algorithms?: string[];
  /** How old a proof (`iat`) may be; its `jti` is remembered that long. @default 60 */
  proofMaxAgeSeconds?: number;
  /**
   * Require a server nonce in every proof (RFC 9449 §8): a proof cannot be made in advance. The
   * first request is answered `use_dpop_nonce` with a `DPoP-Nonce` header. @default false
   */
  requireNonce?: boolean;
  /** Every client must send a proof (every token is sender-constrained). @default false (per client: `dpopBoundAccessTokens`) */
  required?: boolean;
}

export interface ResolvedOAuthServerOptions {
  readonly issuer: string;
  readonly clients: OAuthClientRegistry;
  readonly interaction: OAuthInteraction;
  readonly signingKeys: readonly SigningKeyInput[] | undefined;
  readonly resources: { readonly allowed: readonly string[]; readonly default: string };
  readonly accessTokenTtlSeconds: number;
  readonly authorizationCodeTtlSeconds: number;
  readonly refreshTokenTtlSeconds: number;
  readonly refreshTokenIdleTtlSeconds: number;
  readonly refreshTokenReuseGraceSeconds: number;
  readonly interactionTtlSeconds: number;
  readonly keyPublishLeadSeconds: number;
  readonly scopesSupported: readonly string[];
  readonly requirePushedAuthorizationRequests: boolean;
  readonly pushedRequestTtlSeconds: number;
  readonly dpop: {
    readonly algorithms: readonly string[];
    readonly proofMaxAgeSeconds: number;
    readonly requireNonce: boolean;
    readonly required: boolean;
  };
  readonly clientAssertionAlgorithms: readonly string[];
  readonly clientJwks: ResolvedClientJwksOptions;
  readonly profile: 'oauth2.1' | 'fapi2';
}

/** Endpoint paths (set at import time, as routes are). @publicApi */
export interface OAuthServerRoutes {
  /** @default 'oauth/authorize' */
  authorize?: string;
  /** @default 'oauth/token' */
  token?: string;
  /** @default 'oauth/revoke' */
  revoke?: string;
  /** @default 'oauth/introspect' */
  introspect?: string;
  /** Pushed authorization requests (RFC 9126). @default 'oauth/par' */
  par?: string;
  /** @default '.well-known/jwks.json' */
  jwks?: string;
  /**
   * RFC 8414 §3.1: `.well-known/oauth-authorization-server` followed by the issuer's path, if any.
   * @default '.well-known/oauth-authorization-server'
   */
  metadata?: string;
  /**
   * Extra decorators per endpoint, e.g. `{ token: [RateLimit('oauth-token')] }` from
   * `@rampart/rate-limit`, or `@RequestLimits({ mediaTypes: ['application/x-www-form-urlencoded'] })`
   * from `@rampart/validation` on the form endpoints: this lib depends on neither.
   */
  decorators?: Partial<Record<OAuthEndpoint, MethodDecorator[]>>;
}

/** The endpoints of the server. @publicApi */
export type OAuthEndpoint = 'authorize' | 'token' | 'revoke' | 'introspect' | 'par' | 'jwks' | 'metadata';
const ENDPOINTS: readonly OAuthEndpoint[] = ['authorize', 'token', 'revoke', 'introspect', 'par', 'jwks', 'metadata'];

export type ResolvedRoutes = Readonly<Required<Omit<OAuthServerRoutes, 'decorators'>>> & {
  readonly decorators: Readonly<Partial<Record<OAuthEndpoint, readonly MethodDecorator[]>>>;
};

function fail(message: string): never {
  throw new InvalidOptionsError('AUTH_INVALID_OPTIONS', message);
}

function seconds(value: number | undefined, fallback: number, name: string, max: number): number {
  const n = value ?? fallback;
  if (!Number.isSafeInteger(n) || n < 1 || n > max) fail(`${name} must be a whole number from 1 to ${max}, got ${n}.`);
  return n;
}

function checkResource(uri: string): void {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    fail(`resources: "${uri}" is not an absolute URI (RFC 8707 §2).`);
  }
  if (url.hash !== '') fail(`resources: "${uri}" must not have a fragment (RFC 8707 §2).`);
}

function path(value: string | undefined, fallback: string, name: string): string {
  const p = (value ?? fallback).replace(/^\/+/, '');
  if (!/^[A-Za-z0-9._~/-]{1,200}$/.test(p)) fail(`routes.${name} "${p}" is not a plain path.`);
  return p;
}

export function resolveRoutes(raw: OAuthServerRoutes = {}): ResolvedRoutes {
  return Object.freeze({
    authorize: path(raw.authorize, 'oauth/authorize', 'authorize'),
    token: path(raw.token, 'oauth/token', 'token'),
    revoke: path(raw.revoke, 'oauth/revoke', 'revoke'),
    introspect: path(raw.introspect, 'oauth/introspect', 'introspect'),
    par: path(raw.par, 'oauth/par', 'par'),
    jwks: path(raw.jwks, '.well-known/jwks.json', 'jwks'),
    metadata: path(raw.metadata, '.well-known/oauth-authorization-server', 'metadata'),
    decorators: Object.freeze(
      Object.fromEntries(
        Object.entries(raw.decorators ?? {}).map(([endpoint, list]) => {
          if (!ENDPOINTS.includes(endpoint as OAuthEndpoint))
            fail(`routes.decorators: unknown endpoint "${endpoint}".`);
          return [endpoint, Object.freeze([...list])];
        }),
      ),
    ),
  });
}

export function resolveOAuthServerOptions(raw: OAuthServerOptions): ResolvedOAuthServerOptions {
  let issuer: URL;
  try {
    issuer = new URL(raw.issuer);
  } catch {
    fail('issuer must be an absolute URL, e.g. https://auth.example.com.');
  }
  if (issuer.search !== '' || issuer.hash !== '' || raw.issuer.includes('?') || raw.issuer.includes('#')) {
    fail('issuer must have no query and no fragment (RFC 8414 §2).');
  }
  if (issuer.protocol !== 'https:' && !(issuer.protocol === 'http:' && isLoopbackHost(issuer.hostname))) {
    fail('issuer must use https (http only for localhost, for development).');
  }
  // Options may come from JavaScript or a config file: check what the types promise.
  const interaction = raw.interaction as Partial<OAuthInteraction> | undefined;
  if (typeof interaction?.currentUser !== 'function' || typeof interaction.loginUrl !== 'function') {
    fail('interaction must implement currentUser() and loginUrl().');
  }
  const resources = raw.resources as Partial<OAuthServerOptions['resources']> | undefined;
  if (!Array.isArray(resources?.allowed) || resources.allowed.length === 0) {
    fail('resources.allowed must list the APIs (the `aud` of tokens) this server issues tokens for.');
  }
  raw.resources.allowed.forEach(checkResource);
  if (!raw.resources.allowed.includes(raw.resources.default))
    fail('resources.default must be one of resources.allowed.');
  const profile = raw.profile ?? 'oauth2.1';
  // Options may come from JavaScript or a config file: a typo must not silently mean "no profile".
  if (!(['oauth2.1', 'fapi2'] as unknown[]).includes(profile)) fail(`profile must be 'oauth2.1' or 'fapi2'.`);
  const fapi2 = profile === 'fapi2';
  const registry = Array.isArray(raw.clients) ? new MemoryClientRegistry(raw.clients) : raw.clients;
  if (typeof (registry as Partial<OAuthClientRegistry> | undefined)?.find !== 'function')
    fail('clients must be an OAuthClientRegistry or a list of registrations.');
  if (fapi2 && Array.isArray(raw.clients)) {
    for (const registration of raw.clients) {
      const problem = fapi2ClientProblem(toOAuthClient(registration));
      if (problem) fail(`profile 'fapi2': client "${registration.id}": ${problem}.`);
    }
  }
  const clients = fapi2 ? new Fapi2ClientRegistry(registry) : registry;
  const codeTtlSeconds = seconds(raw.authorizationCodeTtlSeconds, 60, 'authorizationCodeTtlSeconds', 600);
  if (fapi2 && codeTtlSeconds > FAPI2_MAX_CODE_TTL_SECONDS) {
    fail(`profile 'fapi2': authorizationCodeTtlSeconds must be at most ${FAPI2_MAX_CODE_TTL_SECONDS}.`);
  }
  if (fapi2 && raw.dpop?.required === false)
    fail(`profile 'fapi2' requires sender-constrained tokens (dpop.required).`);
  const defaultAlgorithms = (list: readonly string[]): string[] =>
    fapi2 ? list.filter((alg) => FAPI2_ALGORITHMS.includes(alg)) : [...list];
  const dpop = resolveDpop({
    ...raw.dpop,
    algorithms: raw.dpop?.algorithms ?? defaultAlgorithms(DPOP_ALGORITHMS),
    required: fapi2 || (raw.dpop?.required ?? false),
  });
  const clientAssertionAlgorithms = algorithmList(
    raw.clientAssertionAlgorithms ?? defaultAlgorithms(CLIENT_ASSERTION_ALGORITHMS),
    'clientAssertionAlgorithms',
  );
  if (fapi2 && ![...dpop.algorithms, ...clientAssertionAlgorithms].every((alg) => FAPI2_ALGORITHMS.includes(alg))) {
    fail(`profile 'fapi2' allows only ${FAPI2_ALGORITHMS.join(', ')} (FAPI 2.0 §5.4.1).`);
  }
  const scopesSupported =
    raw.scopesSupported ?? (Array.isArray(raw.clients) ? [...new Set(raw.clients.flatMap((c) => c.scopes))] : []);
  if (!parseScope(scopesSupported.join(' '))) fail('scopesSupported must be RFC 6749 scope tokens.');
  return Object.freeze({
    issuer: raw.issuer,
    clients,
    interaction: raw.interaction,
    signingKeys: raw.signingKeys ? Object.freeze([...raw.signingKeys]) : undefined,
    resources: Object.freeze({ allowed: Object.freeze([...raw.resources.allowed]), default: raw.resources.default }),
    accessTokenTtlSeconds: seconds(raw.accessTokenTtlSeconds, 900, 'accessTokenTtlSeconds', 86_400),
    authorizationCodeTtlSeconds: codeTtlSeconds,
    refreshTokenTtlSeconds: seconds(raw.refreshTokenTtlSeconds, 1_209_600, 'refreshTokenTtlSeconds', 31_536_000),
    refreshTokenIdleTtlSeconds: seconds(
      raw.refreshTokenIdleTtlSeconds,
      259_200,
      'refreshTokenIdleTtlSeconds',
      31_536_000,
    ),
    refreshTokenReuseGraceSeconds:
      raw.refreshTokenReuseGraceSeconds === 0
        ? 0
        : seconds(raw.refreshTokenReuseGraceSeconds, 5, 'refreshTokenReuseGraceSeconds', 60),
    interactionTtlSeconds: seconds(raw.interactionTtlSeconds, 600, 'interactionTtlSeconds', 3600),
    keyPublishLeadSeconds: seconds(raw.keyPublishLeadSeconds, 900, 'keyPublishLeadSeconds', 86_400 * 30),
    scopesSupported: Object.freeze(scopesSupported),
    // FAPI 2.0 §5.3.2.1: authorization requests only through PAR, authenticated and never seen by the browser.
    requirePushedAuthorizationRequests: fapi2 || raw.requirePushedAuthorizationRequests === true,
    pushedRequestTtlSeconds: seconds(raw.pushedRequestTtlSeconds, 60, 'pushedRequestTtlSeconds', 600),
    dpop,
    clientAssertionAlgorithms,
    clientJwks: resolveClientJwksOptions(raw.clientJwks, fail),
    profile,
  });
}

function algorithmList(algorithms: readonly string[], name: string): readonly string[] {
  if (algorithms.length === 0 || !algorithms.every((alg) => DPOP_ALLOWED_ALGORITHMS.includes(alg))) {
    fail(`${name} must be some of ${DPOP_ALLOWED_ALGORITHMS.join(', ')} (asymmetric only).`);
  }
  return Object.freeze([...algorithms]);
}

function resolveDpop(raw: OAuthDpopOptions): ResolvedOAuthServerOptions['dpop'] {
  return Object.freeze({
    algorithms: algorithmList(raw.algorithms ?? [...DPOP_ALGORITHMS], 'dpop.algorithms'),
    proofMaxAgeSeconds: seconds(raw.proofMaxAgeSeconds, 60, 'dpop.proofMaxAgeSeconds', 600),
    requireNonce: raw.requireNonce ?? false,
    required: raw.required ?? false,
  });
}
