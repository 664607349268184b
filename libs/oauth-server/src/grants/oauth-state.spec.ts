import { MemoryStore, StoreUnavailableError, type Store } from '@rampart/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachBackend } from '../../../../test/utils/redis';
import { OAuthState, randomToken, type CodeRecord, type FamilyRecord } from './oauth-state';

const CODE_RECORD: CodeRecord = {
  clientId: 'spa',
  redirectUri: 'https://app.example/cb',
  redirectUriGiven: true,
  state: 's',
  codeChallenge: 'c'.repeat(43),
  scopes: ['a'],
  resources: ['https://api.example'],
  user: { id: 'u1' },
  authTime: 1,
};
const FAMILY: FamilyRecord = {
  clientId: 'spa',
  user: { id: 'u1' },
  scopes: ['a'],
  resources: ['https://api.example'],
  authTime: 1,
  expiresAt: Date.now() + 60_000,
};
const future = (): number => Math.floor(Date.now() / 1000) + 600;

/** The same contract on every store: the Lua scripts and their in-memory twins agree. */
function contract(makeStore: () => Promise<Store>): void {
  let store: Store;
  let state: OAuthState;
  beforeAll(async () => {
    store = await makeStore();
    state = new OAuthState(store);
  });
  afterAll(() => store.close());

  it('consumes a code once; later attempts see the replay and the grant it produced', async () => {
    const code = randomToken();
    await state.saveCode(code, CODE_RECORD, 60_000);
    expect(await state.findCode(code)).toEqual(CODE_RECORD);
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => state.consumeCode(code, `g${i}`, 60_000)));
    const ok = results.filter((r) => r.status === 'ok');
    expect(ok).toHaveLength(1);
    const winner = `g${results.findIndex((r) => r.status === 'ok')}`;
    for (const r of results.filter((r) => r.status !== 'ok'))
      expect(r).toEqual({ status: 'replayed', grantId: winner });
    // The record stays readable, so a replay can be checked against its PKCE challenge.
    expect(await state.findCode(code)).toEqual(CODE_RECORD);
  });

  it('reports an unknown or expired code as missing', async () => {
    expect(await state.consumeCode(randomToken(), 'g', 60_000)).toEqual({ status: 'missing' });
    const code = randomToken();
    await state.saveCode(code, CODE_RECORD, 20);
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(await state.consumeCode(code, 'g', 60_000)).toEqual({ status: 'missing' });
  });

  const limits = (graceMs = 0): { idleMs: number; endsAt: number; graceMs: number } => ({
    idleMs: 60_000,
    endsAt: Date.now() + 60_000,
    graceMs,
  });

  it('rotates a refresh token; a rotated-out one is reuse and revokes the family', async () => {
    const grant = randomToken(16);
    const first = `${grant}.${randomToken()}`;
    const second = `${grant}.${randomToken()}`;
    await state.createFamily(grant, FAMILY, first, 60_000, 60_000);
    expect(await state.findFamily(grant)).toEqual(FAMILY);
    expect(await state.rotateRefresh(grant, first, second, limits())).toBe('ok');
    expect(await state.rotateRefresh(grant, first, `${grant}.${randomToken()}`, limits())).toBe('reuse');
    expect(await state.rotateRefresh(grant, second, `${grant}.${randomToken()}`, limits())).toBe('revoked');
    expect(await state.rotateRefresh(randomToken(16), first, second, limits())).toBe('missing');
  });

  it('answers a forged token of a real family as unknown, and the family keeps working', async () => {
    const grant = randomToken(16);
    const first = `${grant}.${randomToken()}`;
    await state.createFamily(grant, FAMILY, first, 60_000, 60_000);
    expect(await state.rotateRefresh(grant, `${grant}.${randomToken()}`, `${grant}.${randomToken()}`, limits())).toBe(
      'unknown',
    );
    expect(await state.rotateRefresh(grant, first, `${grant}.${randomToken()}`, limits())).toBe('ok');
  });

  it('answers a rotated-out token within the grace as grace, without revoking', async () => {
    const grant = randomToken(16);
    const first = `${grant}.${randomToken()}`;
    const second = `${grant}.${randomToken()}`;
    await state.createFamily(grant, FAMILY, first, 60_000, 60_000);
    expect(await state.rotateRefresh(grant, first, second, limits(60_000))).toBe('ok');
    expect(await state.rotateRefresh(grant, first, `${grant}.${randomToken()}`, limits(60_000))).toBe('grace');
    expect(await state.rotateRefresh(grant, second, `${grant}.${randomToken()}`, limits(60_000))).toBe('ok');
  });

  it('lets an idle refresh token expire', async () => {
    const grant = randomToken(16);
    const first = `${grant}.${randomToken()}`;
    const second = `${grant}.${randomToken()}`;
    await state.createFamily(grant, FAMILY, first, 60_000, 60_000);
    expect(await state.rotateRefresh(grant, first, second, { ...limits(), idleMs: 20 })).toBe('ok');
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(await state.rotateRefresh(grant, second, `${grant}.${randomToken()}`, limits())).toBe('missing');
  });

  it('collects access tokens under a grant and hands them over on revocation, once', async () => {
    const grant = randomToken(16);
    await state.createFamily(grant, FAMILY, `${grant}.${randomToken()}`, 60_000, 60_000);
    const exp = future();
    expect(await state.addToGrant(grant, { jti: 'j1', exp }, 60_000)).toBe(true);
    expect(await state.addToGrant(grant, { jti: 'j2', exp }, 60_000)).toBe(true);
    expect(await state.addToGrant(grant, { jti: 'old', exp: 1 }, 60_000)).toBe(true);
    // Expired entries are dropped on the next write.
    expect(await state.addToGrant(grant, { jti: 'j3', exp }, 60_000)).toBe(true);
    expect(await state.revokeGrant(grant, 60_000)).toEqual([
      { jti: 'j1', exp },
      { jti: 'j2', exp },
      { jti: 'j3', exp },
    ]);
    expect(await state.revokeGrant(grant, 60_000)).toEqual([]);
    expect(await state.addToGrant(grant, { jti: 'j4', exp }, 60_000)).toBe(false);
    expect(await state.currentRefreshHash(grant)).toBe('!');
  });

  it('takes an interaction once', async () => {
    const id = randomToken();
    await state.saveInteraction(id, CODE_RECORD, 60_000);
    const [a, b] = await Promise.all([state.takeInteraction(id), state.takeInteraction(id)]);
    expect([a, b].filter(Boolean)).toHaveLength(1);
  });
}

describeEachBackend('OAuthState', (backend, keyPrefix) => {
  contract(() => backend.store(keyPrefix));
});

describe('OAuthState when the store fails', () => {
  it('answers 503, never a 500', async () => {
    const store = new MemoryStore();
    store.get = () => Promise.reject(new Error('down'));
    const failure = new OAuthState(store).findCode(randomToken());
    await expect(failure).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(failure).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', retryAfterSeconds: 5 });
  });
});
