import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLATFORMS, startApp, type TestApp } from './utils/test-app';

/** An issuer's JWKS endpoint on a local port, counting how often it is fetched. */
class JwksServer {
  fetches = 0;
  keys: JWK[] = [];
  private readonly server: Server = createServer((_req, res) => {
    this.fetches++;
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ keys: this.keys }));
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/jwks.json`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

async function newKey(kid: string): Promise<{ kid: string; privateKey: CryptoKey; jwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' } };
}

describe.each(PLATFORMS)('access tokens verified against a remote JWKS (%s)', (platform) => {
  const jwks = new JwksServer();
  let t: TestApp;
  const issuer = 'https://issuer.test';
  const audience = 'https://api.test';
  beforeAll(async () => {
    const url = await jwks.start();
    t = await startApp(platform, { jwksUrl: url, jwtIssuer: issuer, jwtAudience: audience });
  });
  afterAll(async () => {
    await t.close();
    await jwks.close();
  });

  const tokenSignedBy = (key: { kid: string; privateKey: CryptoKey }, sub = 'u-alice') => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ scope: 'notes:read', client_id: 'spa' })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: key.kid })
      .setIssuer(issuer)
      .setAudience(audience)
      .setSubject(sub)
      .setJti(randomUUID())
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .sign(key.privateKey);
  };

  it('fetches the JWKS, then serves from its cache', async () => {
    const current = await newKey('k1');
    jwks.keys = [current.jwk];
    for (let i = 0; i < 3; i++) {
      const res = await request(t.server)
        .get('/notes')
        .set('Authorization', `Bearer ${await tokenSignedBy(current)}`);
      expect(res.status).toBe(200);
    }
    expect(jwks.fetches).toBe(1);
  });

  it('refuses unknown kids, refetching at most once per cooldown however many arrive', async () => {
    const before = jwks.fetches;
    for (let i = 0; i < 10; i++) {
      const stranger = await newKey(`unknown-${i}`);
      const res = await request(t.server)
        .get('/notes')
        .set('Authorization', `Bearer ${await tokenSignedBy(stranger)}`);
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toContain('error="invalid_token"');
    }
    expect(jwks.fetches - before).toBeLessThanOrEqual(1);
  });
});
