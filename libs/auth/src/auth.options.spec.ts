import { describe, expect, it } from 'vitest';
import { resolveAuthOptions, type JwtOptions } from './auth.options';

const jwt: JwtOptions = { issuer: 'https://issuer.test', audience: 'api', jwksUrl: 'https://issuer.test/jwks' };

describe('resolveAuthOptions', () => {
  it('defaults to ES256, 5 s tolerance, 8 kB tokens, a bounded cache, secure-by-default jwt mode', () => {
    const options = resolveAuthOptions({ jwt });
    expect(options.jwt).toMatchObject({ algorithms: ['ES256'], clockToleranceSeconds: 5, maxTokenBytes: 8192 });
    expect(options.jwt?.cache).toEqual({ maxEntries: 10_000, maxTtlMs: 300_000 });
    expect(options.defaultMode).toBe('jwt');
    expect(Object.isFrozen(options)).toBe(true);
  });

  it.each(['none', 'HS256', 'HS512', 'hs256', ''])('refuses the algorithm %j at start', (alg) => {
    expect(() => resolveAuthOptions({ jwt: { ...jwt, algorithms: [alg] } })).toThrow(
      expect.objectContaining({ code: 'AUTH_INVALID_OPTIONS' }),
    );
  });

  it('resolves DPoP: asymmetric proof algorithms only, a bounded proof age, an origin reduced to scheme://host', () => {
    expect(resolveAuthOptions({ jwt }).jwt?.dpop).toEqual({
      algorithms: ['ES256', 'EdDSA', 'PS256', 'RS256'],
      proofMaxAgeSeconds: 60,
      origin: undefined,
      requireNonce: false,
    });
    expect(resolveAuthOptions({ jwt: { ...jwt, dpop: { requireNonce: true } } }).jwt?.dpop.requireNonce).toBe(true);
    const withOrigin = resolveAuthOptions({
      jwt: { ...jwt, dpop: { origin: 'https://API.example.com/ignored/path' } },
    });
    expect(withOrigin.jwt?.dpop.origin).toBe('https://api.example.com');
    for (const dpop of [
      { algorithms: ['HS256'] },
      { algorithms: ['none'] },
      { algorithms: [] },
      { origin: 'not a url' },
      { proofMaxAgeSeconds: 3600 },
      // From a config file, "true" is a typo, not a yes.
      { requireNonce: 'true' as unknown as boolean },
    ]) {
      expect(() => resolveAuthOptions({ jwt: { ...jwt, dpop } })).toThrow(
        expect.objectContaining({ code: 'AUTH_INVALID_OPTIONS' }),
      );
    }
  });

  it('refuses a JWKS over plain http except on localhost', () => {
    expect(() => resolveAuthOptions({ jwt: { ...jwt, jwksUrl: 'http://issuer.test/jwks' } })).toThrow(/https/);
    expect(() => resolveAuthOptions({ jwt: { ...jwt, jwksUrl: 'http://127.0.0.1:8080/jwks' } })).not.toThrow();
  });

  it('needs exactly one key source, an issuer and an audience', () => {
    expect(() => resolveAuthOptions({ jwt: { ...jwt, keys: [{ kty: 'EC' }] } })).toThrow(/exactly one/);
    expect(() => resolveAuthOptions({ jwt: { issuer: 'x', audience: 'api' } })).toThrow(/exactly one/);
    expect(() => resolveAuthOptions({ jwt: { ...jwt, audience: [] } })).toThrow(/audience/);
    expect(() => resolveAuthOptions({})).toThrow(/jwt options are required/);
    expect(() => resolveAuthOptions({ defaultMode: 'apiKey' })).not.toThrow();
  });

  it('bounds the clock tolerance', () => {
    expect(() => resolveAuthOptions({ jwt: { ...jwt, clockToleranceSeconds: 3600 } })).toThrow(/clockTolerance/);
  });

  it('expands the role hierarchy transitively and refuses cycles', () => {
    const options = resolveAuthOptions({ jwt, roleHierarchy: { admin: ['editor'], editor: ['user'] } });
    expect([...(options.roleHierarchy.get('admin') ?? [])].sort()).toEqual(['admin', 'editor', 'user']);
    expect(() => resolveAuthOptions({ jwt, roleHierarchy: { a: ['b'], b: ['a'] } })).toThrow(/cycle/);
  });

  it('refuses an API key prefix that is not a plain token and the Authorization header for keys', () => {
    expect(() => resolveAuthOptions({ jwt, apiKeys: { prefix: 'a.*' } })).toThrow(/prefix/);
    expect(() => resolveAuthOptions({ jwt, apiKeys: { header: 'Authorization' } })).toThrow(/header/);
  });
});
