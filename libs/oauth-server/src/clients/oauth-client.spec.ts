import { describe, expect, it } from 'vitest';
import { hashClientSecret, secretMatches, toOAuthClient, type OAuthClientRegistration } from './oauth-client';

const base: OAuthClientRegistration = {
  id: 'backend',
  type: 'confidential',
  secret: 's'.repeat(40),
  redirectUris: ['https://app.example/cb'],
  grantTypes: ['authorization_code'],
  scopes: ['a', 'b'],
};

describe('toOAuthClient', () => {
  it('keeps the secret only as a hash', () => {
    const client = toOAuthClient(base);
    expect(JSON.stringify(client)).not.toContain('s'.repeat(40));
    expect(client.secretHashes).toEqual([hashClientSecret('s'.repeat(40))]);
  });

  it('registers a private_key_jwt client by its public JWKS, and refuses private, symmetric or mixed keys', () => {
    const publicKey = {
      kty: 'EC',
      crv: 'P-256',
      x: 'eWFAopmuUxSk83Y_VdQK_v949CPzyous5NoBu--YlcI',
      y: 'fzAInIptZRVtFkq8EzataO98S3bRvMNwFauNj6f5Zrs',
    };
    const client = toOAuthClient({ ...base, secret: undefined, jwks: { keys: [publicKey] } });
    expect(client.authMethod).toBe('private_key_jwt');
    expect(client.secretHashes).toEqual([]);
    expect(toOAuthClient(base).authMethod).toBe('client_secret');
    for (const jwks of [
      { keys: [{ ...publicKey, d: 'v8uPHjvXBR2HMH-JUhICm_wAt_Ay55xrxh-KM8_wiOg' }] },
      { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] },
      { keys: [{ ...publicKey, alg: 'HS256' }] },
      { keys: [{ ...publicKey, use: 'enc' }] },
      { keys: [] },
    ]) {
      expect(() => toOAuthClient({ ...base, secret: undefined, jwks })).toThrow(/jwks/);
    }
    expect(() => toOAuthClient({ ...base, jwks: { keys: [publicKey] } })).toThrow(/not both/);
    expect(() => toOAuthClient({ ...base, type: 'public', secret: undefined, jwks: { keys: [publicKey] } })).toThrow(
      /public client/,
    );
  });

  it('refuses unsafe registrations at start', () => {
    const bad: Partial<OAuthClientRegistration>[] = [
      { secret: 'short' },
      { type: 'public' },
      { type: 'public', secret: undefined, grantTypes: ['client_credentials'] },
      { secret: undefined },
      { redirectUris: ['http://app.example/cb'] },
      { redirectUris: [] },
      { grantTypes: ['password' as never] },
      { grantTypes: ['implicit' as never] },
      { scopes: ['bad scope"'] },
      { defaultScopes: ['c'] },
      { id: '../etc' },
    ];
    for (const change of bad) expect(() => toOAuthClient({ ...base, ...change })).toThrow();
  });

  it('rotates refresh tokens unless a confidential client opts out; a public client cannot', () => {
    expect(toOAuthClient(base).refreshTokenRotation).toBe(true);
    expect(toOAuthClient({ ...base, refreshTokenRotation: false }).refreshTokenRotation).toBe(false);
    expect(() => toOAuthClient({ ...base, type: 'public', secret: undefined, refreshTokenRotation: false })).toThrow(
      /refreshTokenRotation: false needs a confidential client/,
    );
  });
});

describe('secretMatches', () => {
  it('accepts any current secret (rotation) and nothing else', () => {
    const client = toOAuthClient({
      ...base,
      secret: undefined,
      secretHashes: [hashClientSecret('x'.repeat(32)), hashClientSecret('y'.repeat(32))],
    });
    expect(secretMatches(client, 'x'.repeat(32))).toBe(true);
    expect(secretMatches(client, 'y'.repeat(32))).toBe(true);
    expect(secretMatches(client, 'z'.repeat(32))).toBe(false);
    expect(secretMatches(undefined, 'x'.repeat(32))).toBe(false);
  });
});
