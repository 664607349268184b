import { AuditService, type AlertNotice } from '@rampart/audit';
import { Redis } from 'ioredis';
import { randomBytes, randomUUID } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type AuditConfig } from '../apps/sample-api/src/app.config';
import { bearer } from './utils/auth';
import { basic, BACKEND } from './utils/oauth';
import { startPrivateRedis, describeWithPrivateRedis, type PrivateRedis } from './utils/private-redis';
import { metricValue, parsePrometheus } from './utils/prometheus';
import { describeWithRedis, redisUrl, uniqueKeyPrefix } from './utils/redis';
import { PLATFORMS, startApp, type TestApp, type TestConfig } from './utils/test-app';

const METRICS_TOKEN = `metrics-${randomBytes(16).toString('hex')}`;
// An incident stays open while failed logins keep coming at the threshold per window: a burst's
// batches of 5 must each take less than a window, or the incident resolves and fires again mid-burst.
// A burst of 50 took 9 s in a CI run (16 per window); 5 per 3 s leaves a loaded machine room.
const ALERT_WINDOW_MS = 3_000;
const ALERT_THRESHOLD = 5;

function auditConfig(overrides: Partial<AuditConfig> = {}): AuditConfig {
  return {
    ...loadConfig({}).audit,
    metricsToken: METRICS_TOKEN,
    stream: uniqueKeyPrefix('audit-stream'),
    keyPrefix: uniqueKeyPrefix('audit'),
    alertCheckIntervalMs: 100,
    ...overrides,
  };
}

/** Many failed sign-ins are the point of these tests: the login throttle must not turn them into 429s. */
const LOGIN_UNTHROTTLED: TestConfig['rateLimit'] = {
  login: {
    perAccount: { failures: 10_000, window: '1m', blockFor: '1m' },
    perIp: { failures: 10_000, window: '1m', blockFor: '1m' },
  },
};

async function scrape(t: TestApp): Promise<string> {
  const res = await request(t.server).get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`);
  expect(res.status).toBe(200);
  return res.text;
}

const wrongLogin = (t: TestApp, password: string) =>
  request(t.server).post('/oauth/login').type('form').send({ username: 'alice@acme.test', password, return_to: '' });

async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describeWithRedis.each(PLATFORMS)('audit on %s with Redis', (platform) => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(redisUrl);
  });
  afterAll(async () => {
    redis.disconnect();
  });

  describe('secrets never reach a log line, a stream entry or a metric', () => {
    let t: TestApp;
    let audit: AuditConfig;
    // Each a real credential or a secret-named value; checked against the values themselves.
    const secrets: Record<string, string> = {};

    beforeAll(async () => {
      audit = auditConfig();
      t = await startApp(platform, { redisUrl, audit, rateLimit: LOGIN_UNTHROTTLED });
      const admin = await bearer(t.app, 'u-admin');
      secrets.adminJwt = admin.Authorization!.slice('Bearer '.length);
      secrets.password = `pw-${randomUUID()}`;
      secrets.refreshToken = `rt-${randomBytes(24).toString('base64url')}`;
      secrets.clientSecret = `cs-${randomBytes(24).toString('base64url')}`;
      secrets.aliceJwt = (await bearer(t.app, 'u-alice')).Authorization!.slice('Bearer '.length);

      // 1. A wrong password on the login form.
      expect((await wrongLogin(t, secrets.password)).status).toBe(401);
      // 2. A bearer token call (auth.success) and a tampered one (auth.failure).
      expect((await request(t.server).get('/notes').set('Authorization', `Bearer ${secrets.aliceJwt}`)).status).toBe(
        200,
      );
      secrets.tamperedJwt = `${secrets.aliceJwt.slice(0, -4)}AAAA`;
      expect((await request(t.server).get('/notes').set('Authorization', `Bearer ${secrets.tamperedJwt}`)).status).toBe(
        401,
      );
      // 3. An API key call, and a wrong key (the id is kept, the secret part never).
      const created = await request(t.server)
        .post('/admin/api-keys')
        .set(admin)
        .send({ name: 'Audit partner', scopes: ['partner:read'] });
      expect(created.status).toBe(201);
      secrets.apiKey = created.body.key as string;
      expect((await request(t.server).get('/partner/stats').set('X-API-Key', secrets.apiKey)).status).toBe(200);
      const last = secrets.apiKey.at(-1) === 'A' ? 'B' : 'A';
      secrets.wrongApiKey = `${secrets.apiKey.slice(0, -1)}${last}`;
      expect((await request(t.server).get('/partner/stats').set('X-API-Key', secrets.wrongApiKey)).status).toBe(401);
      // 4. A body with password, refresh_token and client_secret fields, an injection in the
      //    password (a threat finding about that very field), and a JWT in a header.
      const body = {
        grant_type: 'refresh_token',
        refresh_token: secrets.refreshToken,
        client_id: BACKEND.id,
        client_secret: secrets.clientSecret,
        password: `' OR '1'='1' -- ${secrets.password}`,
      };
      const token = await request(t.server)
        .post('/oauth/token')
        .type('form')
        .set('X-Original-Authorization', secrets.aliceJwt)
        .send(body);
      expect(token.status).toBeGreaterThanOrEqual(400);
      const json = await request(t.server)
        .post('/notes')
        .set('Authorization', `Bearer ${secrets.tamperedJwt}`)
        .set('X-Debug-Token', secrets.aliceJwt)
        .send({
          title: 'x',
          password: secrets.password,
          refresh_token: secrets.refreshToken,
          client_secret: secrets.clientSecret,
        });
      expect(json.status).toBe(401);
      // 5. A wrong client secret in HTTP Basic.
      const basicFail = await request(t.server)
        .post('/oauth/token')
        .type('form')
        .set('Authorization', basic(BACKEND.id, secrets.clientSecret))
        .send({ grant_type: 'client_credentials' });
      expect(basicFail.status).toBe(401);
      await t.app.get(AuditService).flush();
    });
    afterAll(async () => {
      await t.close();
      await redis.del(audit.stream);
    });

    it('recorded what happened (so the absence of secrets means something)', async () => {
      const entries = await redis.xrange(audit.stream, '-', '+');
      const events = entries.map(
        ([, fields]) => JSON.parse(fields[1]!) as { type: string; subject?: string; reason?: string },
      );
      const types = new Set(events.map((e) => e.type));
      expect(types).toContain('auth.failure');
      expect(types).toContain('auth.success');
      expect(events.some((e) => e.type === 'auth.failure' && e.reason === 'credentials_invalid')).toBe(true);
      expect(events.some((e) => e.type === 'auth.success' && e.subject === 'user:u-alice')).toBe(true);
      expect(events.some((e) => e.type === 'auth.success' && e.subject?.startsWith('apikey:'))).toBe(true);
      expect(events.some((e) => e.type === 'auth.failure' && e.subject?.startsWith('apikey:'))).toBe(true);
      expect(t.logs.lines.some((line) => line.includes('"type":"auth.failure"'))).toBe(true);
    });

    it('none of the secrets appears anywhere', async () => {
      const entries = JSON.stringify(await redis.xrange(audit.stream, '-', '+'));
      const logs = t.logs.lines.join('\n');
      const metrics = await scrape(t);
      const history = JSON.stringify(
        (
          await request(t.server)
            .get('/admin/audit/events?limit=100')
            .set(await bearer(t.app, 'u-admin'))
        ).body,
      );
      for (const [name, secret] of Object.entries(secrets)) {
        // The distinctive part of each: a JWT's signature and payload, a key's secret part.
        const needles = [secret, secret.slice(-24)];
        for (const needle of needles) {
          expect(entries.includes(needle), `${name} in the stream`).toBe(false);
          expect(logs.includes(needle), `${name} in the logs`).toBe(false);
          expect(metrics.includes(needle), `${name} in the metrics`).toBe(false);
          expect(history.includes(needle), `${name} in the history API`).toBe(false);
        }
      }
      expect(entries).not.toContain('alice@acme.test');
    });
  });

  it('serves metrics that parse, count what was sent, and only with the metrics credential', async () => {
    const t = await startApp(platform, { redisUrl, audit: auditConfig() });
    try {
      const alice = await bearer(t.app, 'u-alice');
      for (let i = 0; i < 3; i++) expect((await request(t.server).get('/notes')).status).toBe(401);
      for (let i = 0; i < 2; i++) expect((await request(t.server).get('/notes').set(alice)).status).toBe(200);
      const families = parsePrometheus(await scrape(t));
      expect(metricValue(families, 'rampart_security_events_total', { type: 'auth.failure', outcome: 'failure' })).toBe(
        3,
      );
      expect(metricValue(families, 'rampart_security_events_total', { type: 'auth.success', outcome: 'success' })).toBe(
        2,
      );
      expect(families.find((f) => f.name === 'rampart_audit_pipeline_seconds')?.type).toBe('HISTOGRAM');

      const anonymous = await request(t.server).get('/metrics');
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers['content-type']).toMatch(/application\/problem\+json/);
      expect((await request(t.server).get('/metrics').set(alice)).status).toBe(401);
      expect((await request(t.server).get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}x`)).status).toBe(
        401,
      );
    } finally {
      await t.close();
    }
  });

  it('without a metrics credential there is no metrics endpoint', async () => {
    const t = await startApp(platform, { redisUrl, audit: auditConfig({ metricsToken: undefined }) });
    try {
      expect((await request(t.server).get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`)).status).toBe(
        404,
      );
    } finally {
      await t.close();
    }
  });

  describe('two instances', () => {
    let a: TestApp;
    let b: TestApp;
    let audit: AuditConfig;
    const notices: AlertNotice[] = [];

    beforeAll(async () => {
      audit = auditConfig({
        failedLogins: { threshold: ALERT_THRESHOLD, windowMs: ALERT_WINDOW_MS },
        streamMaxLength: 50,
        onAlert: (notice) => void notices.push(notice),
      });
      a = await startApp(platform, { redisUrl, audit: { ...audit, instance: 'a' }, rateLimit: LOGIN_UNTHROTTLED });
      b = await startApp(platform, { redisUrl, audit: { ...audit, instance: 'b' }, rateLimit: LOGIN_UNTHROTTLED });
    });
    afterAll(async () => {
      await a.close();
      await b.close();
      await redis.del(audit.stream);
    });

    const burst = async (count: number): Promise<void> => {
      for (let i = 0; i < count; i += 5) {
        const statuses = await Promise.all(
          Array.from({ length: 5 }, (_, j) =>
            wrongLogin((i + j) % 2 === 0 ? a : b, `wrong-${i + j}`).then((r) => r.status),
          ),
        );
        expect(statuses, 'every failed login answered 401').toEqual([401, 401, 401, 401, 401]);
      }
      await Promise.all([a.app.get(AuditService).flush(), b.app.get(AuditService).flush()]);
    };

    it('50 failed logins across both fire the alert once; a new incident after the window fires again; each recovers once', async () => {
      const of = (rule: string) => notices.filter((n) => n.rule === rule).map((n) => n.status);
      await burst(50);
      expect(of('credential_stuffing'), JSON.stringify(notices)).toEqual(['firing']);
      expect(notices[0]).toMatchObject({ threshold: ALERT_THRESHOLD, windowMs: ALERT_WINDOW_MS });
      expect(notices[0]!.count).toBeGreaterThanOrEqual(ALERT_THRESHOLD);
      await waitFor(() => of('credential_stuffing').length === 2, ALERT_WINDOW_MS * 5, 'the recovery notice');
      expect(of('credential_stuffing')).toEqual(['firing', 'resolved']);

      await burst(50);
      expect(of('credential_stuffing')).toEqual(['firing', 'resolved', 'firing']);
      await waitFor(() => of('credential_stuffing').length === 4, ALERT_WINDOW_MS * 5, 'the second recovery');
      // A little longer: no instance announces it twice.
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(of('credential_stuffing')).toEqual(['firing', 'resolved', 'firing', 'resolved']);
    }, 120_000);

    it('share one bounded history: each instance answers with the events of both', async () => {
      // 300 events, alternately on each instance (anonymous calls: auth.failure, cheaper than logins).
      for (let i = 0; i < 300; i += 20) {
        await Promise.all(
          Array.from({ length: 20 }, (_, j) =>
            request((j % 2 === 0 ? a : b).server)
              .get('/notes')
              .expect(401),
          ),
        );
      }
      await Promise.all([a.app.get(AuditService).flush(), b.app.get(AuditService).flush()]);
      // Each instance signs with its own development key: a token of b for b.
      const admin = await bearer(a.app, 'u-admin');
      const page = await request(b.server)
        .get('/admin/audit/events?type=auth.failure&limit=100')
        .set(await bearer(b.app, 'u-admin'));
      expect(page.status).toBe(200);
      const instances = new Set((page.body.events as { instance: string }[]).map((e) => e.instance));
      expect([...instances].sort()).toEqual(['a', 'b']);
      // MAXLEN ~ trims whole radix-tree nodes (100 entries each by default): at least 50 are kept, never much more.
      const length = await redis.xlen(audit.stream);
      expect(length).toBeGreaterThanOrEqual(50);
      expect(length).toBeLessThanOrEqual(50 + 100);
      expect(length).toBeLessThan(300);

      const first = await request(a.server).get('/admin/audit/events?type=auth.failure&limit=5').set(admin);
      const second = await request(a.server)
        .get(`/admin/audit/events?type=auth.failure&limit=5&cursor=${first.body.nextCursor as string}`)
        .set(admin);
      const ids = [...first.body.events, ...second.body.events].map((e: { id: string }) => e.id);
      expect(new Set(ids).size).toBe(10);
      // Stream ids are `<ms>-<seq>`: newest first means descending by both numbers (a string sort puts -17 before -9).
      const age = (id: string): [number, number] => {
        const [ms = '0', seq = '0'] = id.split('-');
        return [Number(ms), Number(seq)];
      };
      const newestFirst = [...ids].sort((x, y) => {
        const [xMs, xSeq] = age(x);
        const [yMs, ySeq] = age(y);
        return yMs - xMs || ySeq - xSeq;
      });
      expect(ids).toEqual(newestFirst);
    });

    it('refuses the history to non-admins and answers bad queries with 400', async () => {
      expect((await request(a.server).get('/admin/audit/events')).status).toBe(401);
      expect(
        (
          await request(a.server)
            .get('/admin/audit/events')
            .set(await bearer(a.app, 'u-alice'))
        ).status,
      ).toBe(403);
      const bad = await request(a.server)
        .get('/admin/audit/events?limit=100000&cursor=*&type=nope')
        .set(await bearer(a.app, 'u-admin'));
      expect(bad.status).toBe(400);
      expect(bad.body.code).toBe('VALIDATION_ERROR');
    });
  });
});

describeWithPrivateRedis.each(PLATFORMS)('audit on %s when Redis dies', (platform) => {
  let server: PrivateRedis;
  let stopped = false;
  let t: TestApp;
  beforeAll(async () => {
    server = await startPrivateRedis();
    t = await startApp(platform, { redisUrl: server.url, audit: auditConfig() });
  });
  afterAll(async () => {
    await t.close();
    if (!stopped) await server.stop();
  });

  it('answers every request as before, drops and counts events, and holds a bounded queue', async () => {
    const audit = t.app.get(AuditService);
    expect((await request(t.server).get('/notes')).status).toBe(401);
    await audit.flush();
    expect((await audit.health()).up).toBe(true);

    await server.stop();
    stopped = true;
    const started = Date.now();
    for (let round = 0; round < 20; round++) {
      const statuses = await Promise.all(
        Array.from({ length: 10 }, () =>
          request(t.server)
            .get('/notes')
            .then((r) => r.status),
        ),
      );
      // The same answer as with Redis up: the audit trail never turns a request into a 5xx.
      expect(statuses.every((s) => s === 401)).toBe(true);
    }
    const elapsed = Date.now() - started;
    await audit.flush();
    const health = await audit.health();
    expect(health.up).toBe(false);
    const stream = health.sinks.find((s) => s.name === 'redis')!;
    expect(stream.up).toBe(false);
    expect(stream.dropped).toBeGreaterThanOrEqual(200);
    expect(stream.queued).toBe(0);
    const families = parsePrometheus(await scrape(t));
    expect(metricValue(families, 'rampart_audit_dropped_events_total', { sink: 'redis' })).toBeGreaterThanOrEqual(200);
    expect(metricValue(families, 'rampart_store_up')).toBe(0);
    // 200 requests with Redis dead: no request waited for it (a generous bound for a loaded machine).
    expect(elapsed).toBeLessThan(20_000);
  });
});
