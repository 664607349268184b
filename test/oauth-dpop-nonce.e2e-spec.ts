import { DpopNonces } from '@rampart/auth';
import { MemoryStore, RAMPART_STORE, type Store } from '@rampart/core';
import { createHmac, randomBytes } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../apps/sample-api/src/app.config';
import { ath, dpopKey, dpopProof, type DpopKey } from './utils/dpop';
import { BACKEND, DPOP_SPA, basic, freshCodeForm, postForm } from './utils/oauth';
import { describeWithRedis, redisUrl } from './utils/redis';
import { PLATFORMS, startApp, type TestApp, type TestConfig } from './utils/test-app';

/**
 * DPoP server nonces at the resource server (RFC 9449 §9): with `jwt.dpop.requireNonce`, a proof
 * must carry a nonce of this server (the token endpoint's mechanism, one secret in the Store), so
 * a proof made in advance by someone who held the key for a while is worthless.
 */
const TOKEN_URL = 'http://localhost:3000/oauth/token';
const API_HOST = 'api.test';
const NOTES_URL = `http://${API_HOST}/notes`;
const SLOT_SECONDS = 300;

function suite(platform: (typeof PLATFORMS)[number], overrides: TestConfig): void {
  let t: TestApp;
  let key: DpopKey;
  let token: string;

  const callNotes = (proof: string | undefined, scheme = 'DPoP', bearer = token) => {
    const req = request(t.server).get('/notes').set('Host', API_HOST).set('Authorization', `${scheme} ${bearer}`);
    return proof === undefined ? req : req.set('DPoP', proof);
  };
  const proofWith = (nonce?: string, signer: DpopKey = key) =>
    dpopProof(signer, 'GET', NOTES_URL, { ath: ath(token), ...(nonce === undefined ? {} : { nonce }) });

  /** The nonce of `slot` under the server's own secret: what a nonce of that slot looks like. */
  async function nonceOfSlot(slot: number): Promise<string> {
    const secret = await t.app.get<Store>(RAMPART_STORE).get('dpop:nonce-secret');
    expect(secret).toBeDefined();
    return createHmac('sha256', Buffer.from(secret as string, 'base64url'))
      .update(`dpop-nonce:${slot}`)
      .digest('base64url');
  }

  function expectNonceChallenge(res: request.Response): string {
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['www-authenticate']).toMatch(/DPoP realm="api", error="use_dpop_nonce", algs="ES256[^"]*"/);
    const nonce = res.headers['dpop-nonce'] as string;
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
    return nonce;
  }

  beforeAll(async () => {
    t = await startApp(platform, {
      rateLimit: { perIpPerMinute: 0 },
      oauth: { ...loadConfig({}).oauth, tokenPerMinute: 10_000, dpopRequireNonce: true },
      ...overrides,
    });
    key = await dpopKey();
    // The token endpoint asks for its nonce first; the token is bound to `key`.
    const form = await freshCodeForm(t.server);
    const post = (proof: string) => request(t.server).post('/oauth/token').type('form').set('DPoP', proof).send(form);
    const first = await post(await dpopProof(key, 'POST', TOKEN_URL));
    expect(first.body.error).toBe('use_dpop_nonce');
    const issued = await post(await dpopProof(key, 'POST', TOKEN_URL, { nonce: first.headers['dpop-nonce'] }));
    expect(issued.status).toBe(200);
    token = issued.body.access_token as string;
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers a proof without a nonce with use_dpop_nonce and a DPoP-Nonce, then accepts a proof carrying it', async () => {
    const nonce = expectNonceChallenge(await callNotes(await proofWith()));
    const ok = await callNotes(await proofWith(nonce));
    expect(ok.status).toBe(200);
    // The nonce is this slot's HMAC under the Store's secret (so the forgeries below are of the right shape).
    expect([
      await nonceOfSlot(Math.floor(Date.now() / 1000 / SLOT_SECONDS)),
      await nonceOfSlot(Math.floor(Date.now() / 1000 / SLOT_SECONDS) - 1),
    ]).toContain(nonce);
  });

  it("accepts the previous slot's nonce and hands over the current one in the 200 (no extra round trip)", async () => {
    // Away from a slot boundary, so "previous" stays previous while the request runs.
    const intoSlot = (Date.now() / 1000) % SLOT_SECONDS;
    if (intoSlot > SLOT_SECONDS - 10)
      await new Promise((resolve) => setTimeout(resolve, (SLOT_SECONDS - intoSlot + 1) * 1000));
    const current = expectNonceChallenge(await callNotes(await proofWith()));
    const slot = Math.floor(Date.now() / 1000 / SLOT_SECONDS);
    expect(await nonceOfSlot(slot)).toBe(current);
    const previous = await callNotes(await proofWith(await nonceOfSlot(slot - 1)));
    expect(previous.status).toBe(200);
    expect(previous.headers['dpop-nonce']).toBe(current);
    const withCurrent = await callNotes(await proofWith(current));
    expect(withCurrent.status).toBe(200);
    expect(withCurrent.headers['dpop-nonce']).toBeUndefined();
  }, 30_000);

  it('takes the nonce the token endpoint gave: one mechanism for the whole server', async () => {
    const fromTokenEndpoint = await request(t.server)
      .post('/oauth/token')
      .type('form')
      .set('DPoP', await dpopProof(key, 'POST', TOKEN_URL))
      .send({ grant_type: 'refresh_token', refresh_token: 'x', client_id: DPOP_SPA.id });
    const nonce = fromTokenEndpoint.headers['dpop-nonce'] as string;
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await callNotes(await proofWith(nonce))).status).toBe(200);
  });

  it('refuses a stale nonce (two slots old), a forged one and one made with another server secret', async () => {
    const slot = Math.floor(Date.now() / 1000 / SLOT_SECONDS);
    const stale = await nonceOfSlot(slot - 2);
    const future = await nonceOfSlot(slot + 2);
    const forged = randomBytes(32).toString('base64url');
    const foreign = await new DpopNonces(new MemoryStore()).current();
    for (const nonce of [stale, future, forged, foreign, '', 'x'.repeat(300)]) {
      const res = await callNotes(await proofWith(nonce));
      const fresh = expectNonceChallenge(res);
      expect(fresh).not.toBe(nonce);
    }
  });

  it('still checks everything else: a valid nonce does not save a proof of another key or a replay', async () => {
    const nonce = expectNonceChallenge(await callNotes(await proofWith()));
    const other = await callNotes(await proofWith(nonce, await dpopKey()));
    expect(other.status).toBe(401);
    expect(other.headers['www-authenticate']).toContain('error="invalid_dpop_proof"');
    const proof = await proofWith(nonce);
    expect((await callNotes(proof)).status).toBe(200);
    const replayed = await callNotes(proof);
    expect(replayed.status).toBe(401);
    expect(replayed.headers['www-authenticate']).toContain('error="invalid_dpop_proof"');
  });

  it('leaves Bearer tokens alone: a nonce is a DPoP matter', async () => {
    const res = await postForm(
      t.server,
      '/oauth/token',
      { grant_type: 'client_credentials', scope: 'notes:read' },
      basic(BACKEND.id, BACKEND.secret),
    );
    expect(res.body.token_type).toBe('Bearer');
    const ok = await callNotes(undefined, 'Bearer', res.body.access_token as string);
    expect(ok.status).toBe(200);
    expect(ok.headers['dpop-nonce']).toBeUndefined();
  });
}

describe.each(PLATFORMS)('DPoP nonces at the resource server on %s (memory store)', (platform) => {
  suite(platform, {});
});

describeWithRedis('DPoP nonces at the resource server with Redis', () => {
  describe.each(PLATFORMS)('on %s', (platform) => {
    suite(platform, { redisUrl });
  });
});
