import { AuditService } from '@rampart/audit';
import { RAMPART_STORE, type Store } from '@rampart/core';
import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../apps/sample-api/src/app.config';
import { bearer } from './utils/auth';
import { SPA, authorize, exchange, postForm } from './utils/oauth';
import { describeWithPrivateRedis } from './utils/private-redis';
import { SENTINEL_MASTER, startPrivateSentinel, type PrivateSentinel } from './utils/private-sentinel';
import { startApp, type TestApp } from './utils/test-app';

/** A silent primary is down after this (small for the test; the planned switch below does not wait for it). */
const DOWN_AFTER_MS = 2_000;
/** The sample's audit stream (its default name: this Redis is private to the suite). */
const STREAM = 'rampart:audit:events';
/** Writes per user per minute: small enough to exhaust, a window long enough to span the failover. */
const WRITES = 3;

describe('the sample reads its Sentinel settings from the environment', () => {
  const sentinelEnv = { REDIS_SENTINELS: '10.0.0.1:26379, [::1]:26380', REDIS_SENTINEL_NAME: 'mymaster' };

  it('parses REDIS_SENTINELS and REDIS_SENTINEL_NAME', () => {
    expect(loadConfig(sentinelEnv).redisSentinel).toEqual({
      name: 'mymaster',
      sentinels: [
        { host: '10.0.0.1', port: 26379 },
        { host: '::1', port: 26380 },
      ],
    });
    expect(loadConfig({}).redisSentinel).toBeUndefined();
  });

  it('refuses to start on a half or ambiguous setting, naming the variable', () => {
    expect(() => loadConfig({ REDIS_SENTINELS: '10.0.0.1:26379' })).toThrow(/REDIS_SENTINEL_NAME/);
    expect(() => loadConfig({ REDIS_SENTINEL_NAME: 'mymaster' })).toThrow(/REDIS_SENTINELS/);
    expect(() => loadConfig({ ...sentinelEnv, REDIS_URL: 'redis://127.0.0.1:6379' })).toThrow(/not both/);
    for (const bad of ['10.0.0.1', '10.0.0.1:0', '10.0.0.1:70000', 'host:26379/x', 'a b:1'])
      expect(() => loadConfig({ ...sentinelEnv, REDIS_SENTINELS: bad })).toThrow(/REDIS_SENTINELS/);
  });
});

/**
 * Two instances of the sample (Express and Fastify) find their Redis through a sentinel
 * (`REDIS_SENTINELS` + `REDIS_SENTINEL_NAME`, core's `sentinel` store option and the audit stream's)
 * and share one state: a per-user limit, an OAuth code redeemed at the other instance, refresh-token
 * rotation, the event history. Then the sentinel switches the primary (SENTINEL FAILOVER) and all
 * of it holds on the promoted node.
 */
describeWithPrivateRedis('the sample API on a Sentinel-managed Redis', () => {
  let sentinel: PrivateSentinel;
  let a: TestApp;
  let b: TestApp;
  const stops: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
  });

  beforeAll(async () => {
    sentinel = await startPrivateSentinel(DOWN_AFTER_MS);
    stops.push(() => sentinel.stop());
    const { redisSentinel } = loadConfig({
      REDIS_SENTINELS: `${sentinel.sentinel.host}:${sentinel.sentinel.port}`,
      REDIS_SENTINEL_NAME: SENTINEL_MASTER,
    });
    const config = {
      redisSentinel,
      // Limits shared across the two instances: one key prefix for both.
      rateLimit: { perIpPerMinute: 0, writesPerMinute: WRITES, keyPrefix: 'rl:' },
      threat: { keyPrefix: 'threat:' },
      oauth: { ...loadConfig({}).oauth, tokenPerMinute: 10_000, refreshReuseGraceSeconds: 0 },
    };
    a = await startApp('express', { ...config, audit: { ...loadConfig({}).audit, instance: 'a' } });
    stops.push(() => a.close());
    b = await startApp('fastify', { ...config, audit: { ...loadConfig({}).audit, instance: 'b' } });
    stops.push(() => b.close());
  }, 90_000);

  const note = { title: 'through sentinel', body: 'b' };
  const write = async (t: TestApp, user: string): Promise<number> =>
    (
      await request(t.server)
        .post('/notes')
        .set(await bearer(t.app, user))
        .send(note)
    ).status;
  const refresh = (server: Server, token: string) =>
    postForm(server, '/oauth/token', { grant_type: 'refresh_token', refresh_token: token, client_id: SPA.id });
  const notesWith = (server: Server, accessToken: string) =>
    request(server).get('/notes').set('Authorization', `Bearer ${accessToken}`);
  const streamLength = async (port: number): Promise<number> => {
    const node = sentinel.node(port);
    try {
      return await node.xlen(STREAM);
    } finally {
      node.disconnect();
    }
  };

  let refreshToken = '';
  let rotatedOut = '';
  let startedAt = 0;

  it('shares one state through sentinel discovery: a per-user limit across both instances, an OAuth code redeemed at the other', async () => {
    startedAt = Date.now();
    const [primary] = sentinel.ports;
    expect(await sentinel.primary()).toBe(primary);

    // u-alice's writes count once, whichever instance takes them.
    expect([await write(a, 'u-alice'), await write(b, 'u-alice'), await write(a, 'u-alice')]).toEqual([201, 201, 201]);
    expect(await write(b, 'u-alice')).toBe(429);
    expect(await write(a, 'u-bob')).toBe(201);

    // Authorized (login form, consent) on one instance, the code redeemed at the other.
    const { code, pkce } = await authorize(a.server);
    const tokens = await exchange(b.server, code ?? '', pkce.verifier);
    expect(tokens.status).toBe(200);
    expect((await notesWith(b.server, tokens.body.access_token as string)).status).toBe(200);
    const rotated = await refresh(a.server, tokens.body.refresh_token as string);
    expect(rotated.status).toBe(200);
    rotatedOut = tokens.body.refresh_token as string;
    refreshToken = rotated.body.refresh_token as string;

    // A code is single-use across instances: replayed at the other one, it is refused and what it
    // issued is revoked there too (RFC 9700 §4.5.3.1).
    const second = await authorize(b.server);
    const issued = await exchange(a.server, second.code ?? '', second.pkce.verifier);
    expect(issued.status).toBe(200);
    expect((await notesWith(a.server, issued.body.access_token as string)).status).toBe(200);
    expect((await exchange(b.server, second.code ?? '', second.pkce.verifier)).status).toBe(400);
    expect((await notesWith(a.server, issued.body.access_token as string)).status).toBe(401);

    // The state is on the primary the sentinel names, and the history is one stream there.
    await Promise.all([a.app.get(AuditService).flush(), b.app.get(AuditService).flush()]);
    const node = sentinel.node(primary);
    try {
      expect((await node.keys('*rl:*')).length).toBeGreaterThan(0);
    } finally {
      node.disconnect();
    }
    expect(await streamLength(primary)).toBeGreaterThan(0);
    const history = await request(b.server)
      .get('/admin/audit/events?limit=100')
      .set(await bearer(b.app, 'u-admin'));
    expect(history.status).toBe(200);
    const instances = new Set((history.body.events as { instance: string }[]).map((e) => e.instance));
    expect([...instances].sort()).toEqual(['a', 'b']);
  }, 60_000);

  it('after a primary switch (SENTINEL FAILOVER) both instances use the promoted node: the limit, the refresh family and the history hold', async () => {
    const [primary, replica] = sentinel.ports;
    // Nothing acknowledged is left behind on the old primary (a planned switch waits for it too).
    const admin = sentinel.node(primary);
    await admin.call('WAIT', 1, 5_000);
    admin.disconnect();
    await sentinel.failover();
    await sentinel.waitForPrimary(replica, 30_000);
    // The old primary takes writes until the sentinel demotes it: wait for it to replicate the new one.
    await sentinel.waitForReplicaLink(primary, 60_000);
    const lengthBefore = await streamLength(replica);

    // Each client follows +switch-master (or reconnects on READONLY): the first writes after the
    // switch may fail (and meet the outage policy); within seconds both write to the new primary.
    const writable = (t: TestApp) =>
      t.app
        .get<Store>(RAMPART_STORE)
        .set('sentinel-probe', '1', { ttlMs: 60_000 })
        .then(
          () => true,
          () => false,
        );
    const deadline = Date.now() + 20_000;
    while (!(await writable(a)) || !(await writable(b))) {
      expect(Date.now()).toBeLessThan(deadline);
      await sleep(250);
    }
    expect([await write(a, 'u-bob'), await write(b, 'u-bob')]).toEqual([201, 201]);

    // The limit spent before the switch is still spent (its window is a minute: still open here).
    expect(Date.now() - startedAt, 'the switch outlasted the one-minute window of the writes limit').toBeLessThan(
      60_000,
    );
    expect(await write(a, 'u-alice')).toBe(429);
    expect(await write(b, 'u-alice')).toBe(429);

    // The refresh family survived: its current token rotates; the token rotated out before the
    // switch is recognised as reuse and revokes the family (its marker was replicated).
    const next = await refresh(b.server, refreshToken);
    expect(next.status).toBe(200);
    expect((await notesWith(b.server, next.body.access_token as string)).status).toBe(200);
    const reuse = await refresh(a.server, rotatedOut);
    expect([reuse.status, reuse.body.error]).toEqual([400, 'invalid_grant']);
    expect((await refresh(a.server, next.body.refresh_token as string)).body.error).toBe('invalid_grant');

    // A whole new flow works, and events keep reaching the history on the new primary.
    const { code, pkce } = await authorize(b.server);
    expect((await exchange(a.server, code ?? '', pkce.verifier)).status).toBe(200);
    await Promise.all([a.app.get(AuditService).flush(), b.app.get(AuditService).flush()]);
    expect(await streamLength(replica)).toBeGreaterThan(lengthBefore);
    expect(await sentinel.primary()).toBe(replica);
  }, 120_000);
});
