import { Logger } from '@nestjs/common';
import { exportJWK, generateKeyPair, SignJWT, createLocalJWKSet, type JWTVerifyGetKey, type CryptoKey } from 'jose';
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { resolveAuthOptions, type JwtOptions } from '../auth.options';
import { JwtVerifier, TokenVerificationError } from './jwt-verifier';

const base: JwtOptions = { issuer: 'https://issuer.test', audience: 'api', jwksUrl: 'https://issuer.test/jwks' };

describe('JwtVerifier', () => {
  let privateKey: CryptoKey;
  let keys: JWTVerifyGetKey;
  let lookups: number;
  beforeAll(async () => {
    const pair = await generateKeyPair('ES256');
    privateKey = pair.privateKey;
    const local = createLocalJWKSet({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1' }] });
    keys = (header, token) => {
      lookups++;
      return local(header, token);
    };
  });

  const token = (expiresIn = 300, extra: Record<string, unknown> = {}) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ scope: 'a b', client_id: 'spa', ...extra })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'k1' })
      .setIssuer(base.issuer)
      .setAudience('api')
      .setSubject('u1')
      .setJti(randomUUID())
      .setIssuedAt(now)
      .setExpirationTime(now + expiresIn)
      .sign(privateKey);
  };
  const verifier = (options: Partial<JwtOptions> = {}) =>
    new JwtVerifier(resolveAuthOptions({ jwt: { ...base, ...options } }).jwt!, keys);

  it('verifies once and serves repeats from the cache', async () => {
    const v = verifier();
    const t = await token();
    lookups = 0;
    const first = await v.verify(t);
    const second = await v.verify(t);
    expect(second).toBe(first);
    expect(first.scopes).toEqual(['a', 'b']);
    expect(lookups).toBe(1);
  });

  it('verifies every time without a cache', async () => {
    const v = verifier({ cache: false });
    const t = await token();
    lookups = 0;
    await v.verify(t);
    await v.verify(t);
    expect(lookups).toBe(2);
  });

  it('forgets a cached token when it expires', async () => {
    // A controlled clock: on the real one a token with `exp` one second ahead is already expired when
    // signed late in a second and verified in the next (`exp` counts whole seconds).
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(1_800_000_000_000);
      const v = verifier({ clockToleranceSeconds: 0 });
      const t = await token(1);
      await v.verify(t);
      vi.setSystemTime(1_800_000_000_999);
      lookups = 0;
      await v.verify(t);
      expect(lookups).toBe(0); // still served from the cache
      vi.setSystemTime(1_800_000_001_000);
      await expect(v.verify(t)).rejects.toMatchObject({ reason: 'token_expired' });
    } finally {
      vi.useRealTimers();
    }
  });

  it('keeps the cache bounded', async () => {
    const v = verifier({ cache: { maxEntries: 2 } });
    const tokens = await Promise.all([token(), token(), token()]);
    for (const t of tokens) await v.verify(t);
    lookups = 0;
    await v.verify(tokens[0]);
    expect(lookups).toBe(1);
  });

  it('refuses roles that are not a list of short strings', async () => {
    await expect(verifier().verify(await token(300, { roles: 'admin' }))).rejects.toBeInstanceOf(
      TokenVerificationError,
    );
    await expect(verifier().verify(await token(300, { scope: ['a'] }))).rejects.toMatchObject({
      reason: 'claim_invalid',
    });
  });

  it('refuses a token without client_id (RFC 9068 §2.2) unless requireClientId is off (third-party issuers)', async () => {
    const withoutClientId = await token(300, { client_id: undefined });
    await expect(verifier().verify(withoutClientId)).rejects.toMatchObject({
      reason: 'claim_invalid',
      detail: 'claim "client_id" missing',
    });
    const accepted = await verifier({ requireClientId: false }).verify(withoutClientId);
    expect(accepted.claims.sub).toBe('u1');
  });

  it('logs which claim a refused token got wrong, and tells the client nothing more', async () => {
    const logged: string[] = [];
    const debug = vi.spyOn(Logger.prototype, 'debug').mockImplementation((message: unknown) => {
      logged.push(String(message));
    });
    const now = Math.floor(Date.now() / 1000);
    const sign = (claims: Record<string, unknown>, audience = 'api') =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'k1' })
        .setIssuer(base.issuer)
        .setAudience(audience)
        .setSubject('u1')
        .setIssuedAt(now)
        .setExpirationTime(now + 300)
        .sign(privateKey);
    try {
      // The three mistakes self-issued tokens make most: no `jti`, the wrong audience, `scp` for `scope`.
      const cases = [
        { token: await sign({ scope: 'a', client_id: 'spa' }), claim: '"jti" missing' },
        {
          token: await sign({ scope: 'a', client_id: 'spa', jti: randomUUID() }, 'other-api'),
          claim: '"aud" check_failed',
        },
        { token: await sign({ scp: 'a', client_id: 'spa', jti: randomUUID() }), claim: '"scope" missing' },
      ];
      for (const { token: t, claim } of cases) {
        const refusal = verifier().verify(t);
        await expect(refusal).rejects.toMatchObject({ reason: 'claim_invalid', detail: `claim ${claim}` });
      }
      expect(logged).toEqual(cases.map(({ claim }) => `Access token refused: claim_invalid: claim ${claim}`));
    } finally {
      debug.mockRestore();
    }
  });
});
