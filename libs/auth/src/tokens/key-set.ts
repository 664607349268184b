import { InvalidOptionsError } from '@rampart/core';
import { createLocalJWKSet, createRemoteJWKSet, exportJWK, importSPKI, type JWK, type JWTVerifyGetKey } from 'jose';
import type { ResolvedJwtOptions, VerificationKey } from '../auth.options';

/** JWK members that only a private or symmetric key has. */
const PRIVATE_MEMBERS: readonly string[] = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/**
 * The public JWK of `key`: a PEM (SPKI) is imported, private members of a JWK are dropped (so the
 * OAuth server can hand its signing keys to the verifier, and publish them, from one config).
 * Symmetric keys are refused: this lib verifies asymmetric signatures only.
 * @publicApi
 * @example
 * const jwks = { keys: await Promise.all(signingKeys.map((k) => toPublicJwk(k, 'ES256'))) };
 */
export async function toPublicJwk(key: VerificationKey, defaultAlg: string): Promise<JWK> {
  if ('pem' in key && typeof key.pem === 'string') {
    const alg = key.alg ?? defaultAlg;
    const imported = await importSPKI(key.pem, alg, { extractable: true });
    const jwk = await exportJWK(imported);
    return { ...jwk, alg, ...(key.kid === undefined ? {} : { kid: key.kid }) };
  }
  const jwk = key as JWK;
  if (jwk.kty === 'oct' || jwk.kty === undefined) {
    throw new InvalidOptionsError('AUTH_INVALID_OPTIONS', 'jwt.keys must be asymmetric public keys (EC, RSA or OKP).');
  }
  return Object.fromEntries(Object.entries(jwk).filter(([member]) => !PRIVATE_MEMBERS.includes(member)));
}

/**
 * The key resolver the verifier uses. A remote JWKS is cached by jose and refetched on an unknown
 * `kid` at most once per cooldown, so tokens with random `kid`s cannot make us hammer the issuer.
 */
export async function createKeySet(options: ResolvedJwtOptions): Promise<JWTVerifyGetKey> {
  if (options.jwksUrl) {
    return createRemoteJWKSet(options.jwksUrl, {
      cooldownDuration: options.jwks.cooldownMs,
      cacheMaxAge: options.jwks.cacheMaxAgeMs,
      timeoutDuration: options.jwks.timeoutMs,
    });
  }
  const keys = await Promise.all((options.keys ?? []).map((key) => toPublicJwk(key, options.algorithms[0] ?? 'ES256')));
  return createLocalJWKSet({ keys });
}
