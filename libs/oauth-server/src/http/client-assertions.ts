import { ReplayCache, type Store } from '@rampart/core';
import { createLocalJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { ClientJwksUnavailableError, type ClientJwks } from '../clients/client-jwks';
import type { OAuthClient } from '../clients/oauth-client';
import { OAuthError } from '../oauth.errors';

/** RFC 7523 §2.2: the `client_assertion_type` of a JWT client assertion. */
export const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/**
 * Accepted `alg` of client assertions: asymmetric only (an HMAC assertion would need a shared
 * secret, which is what `private_key_jwt` replaces). FAPI 2.0 §5.4.1 allows PS256, ES256, EdDSA.
 * @publicApi
 */
export const CLIENT_ASSERTION_ALGORITHMS: readonly string[] = Object.freeze(['ES256', 'PS256', 'EdDSA', 'RS256']);

/** An assertion may be valid this long at most: it is a one-time login, not a credential to keep. */
const MAX_LIFETIME_SECONDS = 300;
const CLOCK_TOLERANCE_SECONDS = 5;
const MAX_ASSERTION_LENGTH = 8192;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

function badClient(reason: string): OAuthError {
  return new OAuthError('invalid_client', 'Client authentication failed.', reason);
}

/**
 * `private_key_jwt` client authentication (RFC 7523 §3, OIDC Core §9): a JWT signed with a key of
 * the client's registered JWKS, `iss` = `sub` = the client id, `aud` this server (its issuer or the
 * endpoint's URL), a short `exp`, and a `jti` used once (remembered in the Store until `exp`).
 */
export class ClientAssertions {
  private readonly seen: ReplayCache;

  constructor(
    store: Store,
    /** The accepted `aud` values: the issuer and the endpoints' URLs. */
    private readonly audiences: readonly string[],
    readonly algorithms: readonly string[],
    /** The fetched keys of clients registered with `jwksUri`. */
    private readonly remoteKeys: ClientJwks,
  ) {
    this.seen = new ReplayCache(store, 'oauth:client-assertion:');
  }

  private keysOf(client: OAuthClient): JWTVerifyGetKey {
    if (client.jwks) return createLocalJWKSet(client.jwks);
    if (client.jwksUri) return this.remoteKeys.resolverFor(client.jwksUri);
    throw badClient('client_has_no_jwks');
  }

  /** Checks `assertion` for `client`; throws `invalid_client` otherwise. */
  async verify(assertion: string, client: OAuthClient): Promise<void> {
    const keys = this.keysOf(client);
    if (assertion.length > MAX_ASSERTION_LENGTH || !COMPACT_JWS.test(assertion)) throw badClient('assertion_malformed');
    let payload;
    try {
      ({ payload } = await jwtVerify(assertion, keys, {
        algorithms: [...this.algorithms],
        issuer: client.id,
        subject: client.id,
        audience: [...this.audiences],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ['exp', 'jti'],
      }));
    } catch (error) {
      // The client's keys could not be fetched: its assertion cannot be checked, so it is refused.
      if (error instanceof ClientJwksUnavailableError) throw badClient(`client_${error.reason}`);
      throw badClient('assertion_invalid');
    }
    const now = Math.floor(Date.now() / 1000);
    const exp = payload.exp as number;
    if (exp > now + MAX_LIFETIME_SECONDS + CLOCK_TOLERANCE_SECONDS) throw badClient('assertion_lifetime_too_long');
    if (typeof payload.jti !== 'string' || payload.jti.length === 0 || payload.jti.length > 256) {
      throw badClient('assertion_jti_invalid');
    }
    // RFC 7523 §3 item 7: a jti is accepted once, per client, until the assertion expires.
    const ttlMs = (exp - now + CLOCK_TOLERANCE_SECONDS) * 1000;
    if (!(await this.seen.claim(`${client.id}:${payload.jti}`, ttlMs))) throw badClient('assertion_replayed');
  }
}
