import { MemoryStore } from '@rampart/core';
import { toOAuthClient, type OAuthClientRegistration } from '@rampart/oauth-server';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../apps/sample-api/src/app.config';
import { ClientJwks, resolveClientJwksOptions } from '../libs/oauth-server/src/clients/client-jwks';
import { ClientAssertions } from '../libs/oauth-server/src/http/client-assertions';
import { postForm } from './utils/oauth';
import { selfSignedCertificate, startHttpsServer, type LocalServer } from './utils/outbound-servers';
import { PLATFORMS, startApp, type TestApp } from './utils/test-app';

/**
 * `private_key_jwt` clients registered with `jwks_uri` (RFC 7591): the server fetches their JWKS
 * through @rampart/outbound from a real local HTTPS server (`jwks.test`, resolved to 127.0.0.1 by
 * the test resolver and exempted with outbound's documented test-only `allowPrivateNetworks`).
 */
const ISSUER = 'http://localhost:3000';
const CLIENT = 'demo-remote-partner';
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const HOST = 'jwks.test';
/** Generous: the machine running the suite is shared; the fetch's own limit is 1.5 s. */
const DEADLINE_MS = 5_000;

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
  privateJwk: JWK;
}

async function signingKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const kid = randomUUID();
  return {
    kid,
    privateKey,
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' },
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg: 'ES256', use: 'sig' },
  };
}

function assertion(key: SigningKey, client = CLIENT, kid = key.kid): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: client, sub: client, aud: ISSUER, jti: randomUUID(), iat: now, exp: now + 60 })
    .setProtectedHeader({ alg: 'ES256', kid })
    .sign(key.privateKey);
}

/** What the local JWKS server answers, switched by the tests. */
type Answer = { kind: 'jwks'; keys: JWK[] } | { kind: 'oversize' } | { kind: 'slow' };

const certificate = selfSignedCertificate(HOST);
let answer: Answer = { kind: 'jwks', keys: [] };
let fetches = 0;
let server: LocalServer;

function handler(_req: IncomingMessage, res: ServerResponse): void {
  fetches++;
  if (answer.kind === 'slow') return; // never answers: the fetch's time limit must end it
  res.setHeader('content-type', 'application/jwk-set+json');
  if (answer.kind === 'oversize') {
    // A JWKS padded past the 64 KiB limit (a key with a huge `x5c`, or a wrong URL serving a page).
    res.end(JSON.stringify({ keys: [{ kty: 'EC', x5c: ['A'.repeat(200_000)] }] }));
    return;
  }
  res.end(JSON.stringify({ keys: answer.keys }));
}

const testOutbound = (exempt = true) => ({
  resolver: async () => [{ address: '127.0.0.1', family: 4 as const }],
  ca: certificate.cert,
  totalTimeoutMs: 1_500,
  ...(exempt ? { allowPrivateNetworks: ['127.0.0.1/32'] } : {}),
});

/** The fetcher and assertion check on their own, for what needs a long refetch interval. */
function directAssertions(exempt: boolean, maxEntries?: number): { assertions: ClientAssertions; jwks: ClientJwks } {
  const jwks = new ClientJwks(
    resolveClientJwksOptions(
      { outbound: testOutbound(exempt), minRefetchIntervalSeconds: 60, ...(maxEntries ? { maxEntries } : {}) },
      (message) => {
        throw new Error(message);
      },
    ),
  );
  return { assertions: new ClientAssertions(new MemoryStore(), [ISSUER], ['ES256'], jwks), jwks };
}

const remoteClient = (path = 'jwks.json') =>
  toOAuthClient({
    id: CLIENT,
    type: 'confidential',
    jwksUri: `https://${HOST}:${server.port}/${path}`,
    grantTypes: ['client_credentials'],
    scopes: ['notes:read'],
  });

beforeAll(async () => {
  server = await startHttpsServer(certificate, handler);
});
afterAll(async () => {
  await server.close();
});

describe('jwks_uri registration', () => {
  const base: OAuthClientRegistration = {
    id: 'remote',
    type: 'confidential',
    grantTypes: ['client_credentials'],
    scopes: ['notes:read'],
  };

  it('refuses a literal non-public address at registration (SSRF), and a URL with credentials', () => {
    for (const jwksUri of [
      'https://127.0.0.1/jwks.json',
      'https://[::1]/jwks.json',
      'http://169.254.169.254/latest/meta-data/',
      'https://10.0.0.7/jwks.json',
      'https://[::ffff:7f00:1]/jwks.json',
      'https://0x7f000001/jwks.json',
      'https://user:pass@keys.example.com/jwks.json',
      'file:///etc/passwd',
      'not a url',
    ]) {
      expect(() => toOAuthClient({ ...base, jwksUri }), jwksUri).toThrow(
        expect.objectContaining({ code: 'AUTH_INVALID_OPTIONS' }),
      );
    }
    expect(() => toOAuthClient({ ...base, jwksUri: 'https://keys.example.com/a', jwks: { keys: [] } })).toThrow();
    expect(toOAuthClient({ ...base, jwksUri: 'https://keys.example.com/jwks.json' })).toMatchObject({
      authMethod: 'private_key_jwt',
      jwksUri: 'https://keys.example.com/jwks.json',
    });
  });

  it('refuses at fetch a name that resolves to a private address: no connection is made', async () => {
    const key = await signingKey();
    answer = { kind: 'jwks', keys: [key.publicJwk] };
    // The server's default policy: no test exemption, so loopback is a non-public address.
    const { assertions, jwks } = directAssertions(false);
    try {
      const before = server.connections();
      await expect(assertions.verify(await assertion(key), remoteClient())).rejects.toMatchObject({
        error: 'invalid_client',
        reason: 'client_jwks_outbound_address_denied',
      });
      expect(server.connections()).toBe(before);
    } finally {
      await jwks.close();
    }
  });
});

describe('jwks_uri fetch limits', () => {
  it('cannot be made to hammer the URL: made-up kids fetch nothing within the refetch interval', async () => {
    const key = await signingKey();
    answer = { kind: 'jwks', keys: [key.publicJwk] };
    const { assertions, jwks } = directAssertions(true);
    try {
      const before = fetches;
      await assertions.verify(await assertion(key), remoteClient());
      const attacker = await signingKey();
      const forged = () => assertion(attacker, CLIENT, randomUUID());
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, async () => assertions.verify(await forged(), remoteClient())),
      );
      for (const result of results) {
        expect(result).toMatchObject({ status: 'rejected', reason: { error: 'invalid_client' } });
      }
      for (let i = 0; i < 10; i++) {
        await expect(assertions.verify(await forged(), remoteClient())).rejects.toMatchObject({
          error: 'invalid_client',
        });
      }
      expect(fetches - before).toBe(1);
      // The real key still works, from the cache.
      await assertions.verify(await assertion(key), remoteClient());
      expect(fetches - before).toBe(1);
    } finally {
      await jwks.close();
    }
  });

  it('keeps at most maxEntries JWKS: the least recently used is dropped (and fetched again when needed)', async () => {
    const key = await signingKey();
    answer = { kind: 'jwks', keys: [key.publicJwk] };
    const { assertions, jwks } = directAssertions(true, 2);
    try {
      const before = fetches;
      for (const path of ['a.json', 'b.json', 'a.json', 'c.json', 'a.json', 'b.json']) {
        await assertions.verify(await assertion(key), remoteClient(path));
      }
      // a, b fetched; a cached; c evicts b; a cached; b fetched again (evicting c).
      expect(fetches - before).toBe(4);
    } finally {
      await jwks.close();
    }
  });

  it('does not fetch a failing URL again within the interval', async () => {
    answer = { kind: 'oversize' };
    const { assertions, jwks } = directAssertions(true);
    try {
      const key = await signingKey();
      const before = fetches;
      for (let i = 0; i < 5; i++) {
        await expect(assertions.verify(await assertion(key), remoteClient())).rejects.toMatchObject({
          error: 'invalid_client',
          reason: i === 0 ? 'client_jwks_outbound_response_too_large' : 'client_jwks_refetch_too_soon',
        });
      }
      expect(fetches - before).toBe(1);
    } finally {
      await jwks.close();
    }
  });
});

describe.each(PLATFORMS)('private_key_jwt with a jwks_uri through the sample API (%s)', (platform) => {
  let t: TestApp;
  let current: SigningKey;

  beforeAll(async () => {
    current = await signingKey();
    answer = { kind: 'jwks', keys: [current.publicJwk] };
    t = await startApp(platform, {
      rateLimit: { perIpPerMinute: 0 },
      oauth: {
        ...loadConfig({}).oauth,
        tokenPerMinute: 10_000,
        demoRemoteJwksUri: `https://${HOST}:${server.port}/jwks.json`,
        clientJwks: { outbound: testOutbound(), minRefetchIntervalSeconds: 1 },
      },
    });
  });
  afterAll(async () => {
    await t.close();
  });

  const tokenRequest = async (jwt: string) =>
    postForm(t.server, '/oauth/token', {
      grant_type: 'client_credentials',
      scope: 'notes:read',
      client_assertion_type: JWT_BEARER,
      client_assertion: jwt,
    });
  const expectInvalidClient = (res: request.Response) => {
    expect(res.status, res.text).toBe(401);
    expect(res.body.error).toBe('invalid_client');
  };
  /** Past the minimum refetch interval (1 s here): only then may an unknown kid fetch again. */
  const pastRefetchInterval = () => new Promise((resolve) => setTimeout(resolve, 1_100));

  it('authenticates with a key of the fetched JWKS, fetched once and cached; the token reaches the API', async () => {
    const first = fetches;
    const res = await tokenRequest(await assertion(current));
    expect(res.status, res.text).toBe(200);
    expect((await tokenRequest(await assertion(current))).status).toBe(200);
    expect(fetches - first).toBeLessThanOrEqual(1);
    const notes = await request(t.server)
      .get('/notes')
      .set('Authorization', `Bearer ${res.body.access_token as string}`);
    expect(notes.status).toBe(200);
  });

  it('follows a key rotation: the new kid is fetched, the retired key is refused', async () => {
    expect((await tokenRequest(await assertion(current))).status).toBe(200);
    const retired = current;
    current = await signingKey();
    answer = { kind: 'jwks', keys: [current.publicJwk] };
    await pastRefetchInterval();
    expect((await tokenRequest(await assertion(current))).status).toBe(200);
    expectInvalidClient(await tokenRequest(await assertion(retired)));
  });

  it('refuses a JWKS with a private or symmetric key, and keeps none of it', async () => {
    const leaked = await signingKey();
    for (const keys of [
      [current.publicJwk, leaked.privateJwk],
      [current.publicJwk, { kty: 'oct', k: 'c2VjcmV0LXNoYXJlZC13aXRoLXRoZS1zZXJ2ZXI', kid: leaked.kid }],
    ]) {
      answer = { kind: 'jwks', keys };
      await pastRefetchInterval();
      expectInvalidClient(await tokenRequest(await assertion(leaked)));
    }
    answer = { kind: 'jwks', keys: [current.publicJwk] };
  });

  it('refuses an oversize JWKS and a JWKS server that never answers, within the time limit', async () => {
    const next = await signingKey();
    for (const kind of ['oversize', 'slow'] as const) {
      answer = { kind };
      await pastRefetchInterval();
      const started = Date.now();
      expectInvalidClient(await tokenRequest(await assertion(next)));
      expect(Date.now() - started).toBeLessThan(DEADLINE_MS);
    }
    answer = { kind: 'jwks', keys: [current.publicJwk, next.publicJwk] };
    await pastRefetchInterval();
    expect((await tokenRequest(await assertion(next))).status).toBe(200);
    current = next;
  });
});
