import { Logger } from '@nestjs/common';
import { MemoryStore } from '@rampart/core';
import { createLocalJWKSet, exportJWK, exportPKCS8, generateKeyPair, jwtVerify, SignJWT, type JWK } from 'jose';
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { OAuthSigningKeys } from './signing-keys';

async function privateJwk(alg: 'ES256' | 'RS256', kid: string): Promise<JWK> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  return { ...(await exportJWK(privateKey)), kid };
}

/** jose will not generate a 1024-bit RSA key; Node will, as a careless operator might. */
function weakRsaJwk(): JWK {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
  return { ...(privateKey.export({ format: 'jwk' }) as JWK), kid: 'weak' };
}

describe('OAuthSigningKeys', () => {
  it('publishes a new key before it signs, and keeps the old one published (rotation)', async () => {
    const store = new MemoryStore();
    const old = await privateJwk('ES256', 'old');
    const lead = 60_000;
    const before = await OAuthSigningKeys.load([{ jwk: old }], { store, publishLeadMs: lead, production: true });
    expect(before.current().kid).toBe('old');

    const next = await privateJwk('ES256', 'next');
    // Deployed with the new key listed first: published now, but not signing yet.
    const rotated = await OAuthSigningKeys.load([{ jwk: next }, { jwk: old }], {
      store,
      publishLeadMs: lead,
      production: true,
    });
    expect(rotated.jwks().keys.map((k) => k.kid)).toEqual(['next', 'old']);
    expect(rotated.current().kid).toBe('old');
    // Once every verifier can have refetched the JWKS, the new key signs; the old stays published.
    expect(rotated.current(Date.now() + lead + 1).kid).toBe('next');
    expect(rotated.jwks().keys.map((k) => k.kid)).toContain('old');
  });

  it('remembers when a key was first published across restarts (through the Store)', async () => {
    const store = new MemoryStore();
    const key = await privateJwk('ES256', 'k1');
    const other = await privateJwk('ES256', 'k0');
    await OAuthSigningKeys.load([{ jwk: key }], { store, publishLeadMs: 50, production: true });
    await new Promise((resolve) => setTimeout(resolve, 60));
    const restarted = await OAuthSigningKeys.load([{ jwk: key }, { jwk: other }], {
      store,
      publishLeadMs: 50,
      production: true,
    });
    expect(restarted.current().kid).toBe('k1');
  });

  it('signs RS256 (RFC 9068 §2.1) from a PKCS #8 PEM, and publishes no private member', async () => {
    const { privateKey } = await generateKeyPair('RS256', { extractable: true });
    const pem = await exportPKCS8(privateKey);
    const keys = await OAuthSigningKeys.load([{ pem, kid: 'rsa-1', alg: 'RS256' }], {
      store: new MemoryStore(),
      publishLeadMs: 0,
      production: true,
    });
    const [published] = keys.jwks().keys;
    expect(published).toMatchObject({ kty: 'RSA', kid: 'rsa-1', alg: 'RS256', use: 'sig' });
    for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(published).not.toHaveProperty(member);
    const key = keys.current();
    const token = await new SignJWT({}).setProtectedHeader({ alg: key.alg, kid: key.kid }).sign(key.privateKey);
    await expect(jwtVerify(token, createLocalJWKSet(keys.jwks()))).resolves.toBeDefined();
  });

  it('refuses weak, public, symmetric and duplicate keys at start', async () => {
    const options = { store: new MemoryStore(), publishLeadMs: 0, production: true };
    await expect(OAuthSigningKeys.load([{ jwk: weakRsaJwk() }], options)).rejects.toThrow(/2048/);
    const { publicKey } = await generateKeyPair('ES256', { extractable: true });
    await expect(OAuthSigningKeys.load([{ jwk: await exportJWK(publicKey) }], options)).rejects.toThrow(/private/);
    await expect(OAuthSigningKeys.load([{ jwk: { kty: 'oct', k: 'c2VjcmV0', d: 'x' } }], options)).rejects.toThrow();
    const key = await privateJwk('ES256', 'same');
    await expect(OAuthSigningKeys.load([{ jwk: key }, { jwk: key }], options)).rejects.toThrow(/twice/);
  });

  it('generates a key in development with a loud warning, and refuses to in production', async () => {
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const keys = await OAuthSigningKeys.load(undefined, {
      store: new MemoryStore(),
      publishLeadMs: 0,
      production: false,
    });
    expect(keys.current().alg).toBe('ES256');
    expect(warn.mock.calls.some(([message]) => String(message).includes('NO SIGNING KEYS CONFIGURED'))).toBe(true);
    warn.mockRestore();
    await expect(
      OAuthSigningKeys.load(undefined, { store: new MemoryStore(), publishLeadMs: 0, production: true }),
    ).rejects.toMatchObject({ code: 'AUTH_INVALID_OPTIONS' });
  });
});
