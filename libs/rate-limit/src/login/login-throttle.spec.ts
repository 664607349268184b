import type { Store } from '@rampart/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachBackend } from '../../../../test/utils/redis';
import { resolveRateLimitOptions, type LoginThrottleOptions } from '../rate-limit.options';
import { accountKeyPart, LoginThrottle } from './login-throttle';

const LIMITS: LoginThrottleOptions = {
  perAccount: { failures: 3, window: '1m', blockFor: '10m' },
  perIp: { failures: 5, window: '1m', blockFor: '5m' },
};

const wrong = (): false => false;
const right = (): { id: string } => ({ id: 'u1' });

let counter = 0;
/** A fresh subject per test: the backends keep state between tests. */
function subject(): { ip: string; account: string } {
  counter++;
  return { ip: `203.0.113.${counter}`, account: `user${counter}@example.test` };
}

describeEachBackend('LoginThrottle', (backend, keyPrefix) => {
  let store: Store;
  let throttle: LoginThrottle;

  beforeAll(async () => {
    store = await backend.store(keyPrefix);
    throttle = new LoginThrottle(resolveRateLimitOptions({ store, login: LIMITS }));
  });
  afterAll(() => store.close());

  it('never counts successes: many sign-ins from one IP and one account stay open', async () => {
    const who = subject();
    for (let i = 0; i < 12; i++) expect(await throttle.attempt(who, right)).toEqual({ id: 'u1' });
  });

  it('blocks an account after its failures, from any IP, without checking the password', async () => {
    const { account } = subject();
    for (let i = 0; i < 3; i++) expect(await throttle.attempt({ ip: `198.51.100.${i}`, account }, wrong)).toBe(false);
    let checked = false;
    const refused = await throttle
      .attempt({ ip: '198.51.100.99', account: ` ${account.toUpperCase()}` }, () => (checked = true))
      .catch((error: unknown) => error);
    expect(checked).toBe(false);
    expect(refused).toMatchObject({ status: 429, code: 'RATE_LIMITED', extensions: { limitedBy: 'login-account' } });
    const retryAfter = Number((refused as { headers: Record<string, string> }).headers['Retry-After']);
    expect(retryAfter).toBeGreaterThan(9 * 60);
    expect(retryAfter).toBeLessThanOrEqual(10 * 60);
  });

  it('lifts the block after blockFor, with a fresh allowance', async () => {
    const short = new LoginThrottle(
      resolveRateLimitOptions({
        store,
        keyPrefix: 'rl-short:',
        // Long enough that the refusal right after the second failure falls inside it on a lagging machine.
        login: { perAccount: { failures: 2, window: '1m', blockFor: 1_000 }, perIp: LIMITS.perIp },
      }),
    );
    const { account } = subject();
    for (let i = 0; i < 2; i++) await short.attempt({ ip: `192.0.2.${30 + i}`, account }, wrong);
    await expect(short.attempt({ ip: '192.0.2.40', account }, right)).rejects.toMatchObject({ status: 429 });
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await short.attempt({ ip: '192.0.2.41', account }, right)).toEqual({ id: 'u1' });
  });

  it('forgives an account its failures on a success', async () => {
    const { account } = subject();
    for (let round = 0; round < 3; round++) {
      const who = { ip: `192.0.2.${100 + round}`, account };
      for (let i = 0; i < 2; i++) await throttle.attempt(who, wrong);
      expect(await throttle.attempt(who, right)).toEqual({ id: 'u1' });
    }
  });

  it('blocks an IP after its failures across accounts; its successes do not count', async () => {
    const { ip } = subject();
    for (let i = 0; i < 5; i++) {
      expect(await throttle.attempt({ ip, account: `fine-${ip}` }, right)).toEqual({ id: 'u1' });
      await throttle.attempt({ ip, account: `other${i}-${ip}` }, wrong);
    }
    await expect(throttle.attempt({ ip, account: `fresh-${ip}` }, right)).rejects.toMatchObject({
      status: 429,
      extensions: { limitedBy: 'login-ip' },
    });
    // The refusal spent nothing of the account it named.
    for (let i = 0; i < 2; i++) await throttle.attempt({ ip: '192.0.2.1', account: `fresh-${ip}` }, wrong);
    expect(await throttle.attempt({ ip: '192.0.2.1', account: `fresh-${ip}` }, right)).toEqual({ id: 'u1' });
  });

  it('admits no more than the limit from a burst of parallel guesses', async () => {
    const { account } = subject();
    let checked = 0;
    const outcomes = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) =>
        throttle.attempt({ ip: `198.18.0.${i}`, account }, () => {
          checked++;
          return false;
        }),
      ),
    );
    expect(checked).toBe(3);
    expect(outcomes.filter((o) => o.status === 'rejected')).toHaveLength(27);
  });

  it('keeps no account name in the store, only its hash', async () => {
    const client = backend.client();
    if (client === undefined) return; // memory: nothing leaves the process
    try {
      const { ip, account } = subject();
      await throttle.attempt({ ip, account }, wrong);
      const hash = accountKeyPart(account);
      // A cluster client lists its nodes once connected.
      if (client.status !== 'ready') await new Promise((resolve) => client.once('ready', resolve));
      const nodes = 'nodes' in client ? client.nodes('master') : [client];
      const keys = (await Promise.all(nodes.map((node) => node.keys(`${keyPrefix}*login:*`)))).flat();
      expect(keys.some((key) => key.includes(hash))).toBe(true);
      expect(keys.some((key) => key.includes(account) || key.includes('example.test'))).toBe(false);
    } finally {
      client.disconnect();
    }
  });
});
