import { Controller, Get, StreamableFile } from '@nestjs/common';
import { Public } from '@rampart/auth';
import { SecurityEvents, type SecurityEvent } from '@rampart/core';
import { RequestLimits, RequestSignal } from '@rampart/validation';
import fc from 'fast-check';
import { Agent, request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { bearer } from './utils/auth';
import { PLATFORMS, ProbeController, startApp, type TestApp } from './utils/test-app';

/** A handler that runs past its route's timeout, and records whether it was told to stop. */
@Controller('test/slow')
@Public()
class SlowController {
  static started = 0;
  static aborted = 0;
  static finished = 0;

  @Get()
  @RequestLimits({ timeoutMs: 100 })
  async slow(@RequestSignal() signal: AbortSignal): Promise<string> {
    SlowController.started++;
    try {
      await sleep(5000, undefined, { signal });
    } catch {
      SlowController.aborted++;
    }
    // Counted on the next turn, once Nest has tried to send the value.
    setImmediate(() => SlowController.finished++);
    return 'too late';
  }

  /** Starts its answer at once and ends it well past its timeout, saying whether it was told to stop. */
  @Get('stream')
  @RequestLimits({ timeoutMs: 300 })
  stream(@RequestSignal() signal: AbortSignal): StreamableFile {
    const body = new Readable({ read: () => undefined });
    body.push('first;');
    setTimeout(() => {
      // The signal stays quiet: the handler answered in time.
      body.push(signal.aborted ? 'aborted' : 'last');
      body.push(null);
    }, 1200);
    return new StreamableFile(body);
  }

  @Get('hang')
  @RequestLimits({ timeoutMs: 5000 })
  async hang(@RequestSignal() signal: AbortSignal): Promise<string> {
    return this.slow(signal);
  }
}

const validAccount = (n: number | string) => ({
  email: `user${n}@acme.test`,
  username: `user_${n}`,
  password: 'correct horse battery staple',
  profile: { displayName: `User ${n}`, bio: 'Hello' },
});

function expectProblem(res: request.Response, status: number, code?: string): void {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  if (code) expect(res.body.code).toBe(code);
}

/** Sends raw bytes with Node's client, for bodies and heads supertest cannot build. */
function rawExchange(
  port: number,
  options: {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: (req: import('node:http').ClientRequest) => void;
    agent?: Agent;
  },
): Promise<{ status: number; body: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: '127.0.0.1',
      port,
      method: options.method ?? 'POST',
      path: options.path ?? '/accounts',
      headers: options.headers,
      ...(options.agent ? { agent: options.agent } : {}),
    });
    req.on('response', (res: IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, ms: Date.now() - started }));
    });
    req.on('error', reject);
    if (options.body) options.body(req);
    else req.end();
  });
}

describe.each(PLATFORMS)('validation and request limits (%s)', (platform) => {
  let t: TestApp;
  let port: number;
  let admin: Record<string, string>;
  /** Sign-up answers 202 without an id (it cannot tell a new account from a taken address): an admin finds it. */
  const accountId = async (username: string): Promise<string> => {
    const res = await request(t.server).get('/accounts?limit=100').set(admin).expect(200);
    const found = (res.body.items as { id: string; username: string }[]).find((a) => a.username === username);
    if (!found) throw new Error(`no account ${username} in the admin's tenant`);
    return found.id;
  };
  beforeAll(async () => {
    // This suite sends hostile input on purpose (script tags, operator injection, prototype
    // pollution) to see what validation answers: threat detection only watches, whatever THREAT_MODE
    // the other suites run with (test/threat-agreement.e2e-spec.ts covers block and ban).
    t = await startApp(platform, { threat: { mode: 'monitor' } }, [ProbeController, SlowController]);
    await new Promise<void>((resolve) => t.server.listen(0, '127.0.0.1', resolve));
    port = (t.server.address() as AddressInfo).port;
    admin = await bearer(t.app, 'u-admin');
  });
  afterAll(() => t.close());

  describe('body size and media type', () => {
    // The bound separates an answer from the Content-Length alone from a server that waits for the
    // declared body, which would hold the request until its 30 s request timeout.
    it('answers a declared 10 MB body with 413 at once, without reading it', async () => {
      const res = await rawExchange(port, {
        headers: { 'Content-Type': 'application/json', 'Content-Length': String(10 * 1024 * 1024) },
        body: (req) => req.write('{"email":"'),
      });
      expect(res.status).toBe(413);
      expect(JSON.parse(res.body)).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
      expect(res.ms).toBeLessThan(5_000);
    });

    it('cuts off a chunked 10 MB body at the limit with 413, without waiting for the rest', async () => {
      const res = await rawExchange(port, {
        headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' },
        body: (req) => {
          const chunk = 'x'.repeat(64 * 1024);
          let sent = 0;
          const pump = (): void => {
            while (sent < 160 && !req.destroyed) {
              sent++;
              if (!req.write(chunk)) return void req.once('drain', pump);
            }
            req.end();
          };
          req.on('error', () => undefined); // the server may close before all is sent
          pump();
        },
      });
      expect(res.status).toBe(413);
      expect(res.ms).toBeLessThan(5_000);
    });

    it('answers a body of another media type with 415', async () => {
      const res = await request(t.server).post('/accounts').set('Content-Type', 'text/plain').send('role=admin');
      expectProblem(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
      const form = await request(t.server).post('/accounts').type('form').send({ role: 'admin' });
      expectProblem(form, 415, 'UNSUPPORTED_MEDIA_TYPE');
    });

    it('answers a compressed body with 415 (no zip bombs)', async () => {
      const res = await request(t.server)
        .post('/accounts')
        .set('Content-Type', 'application/json')
        .set('Content-Encoding', 'gzip')
        .send(Buffer.from([0x1f, 0x8b, 0x08, 0x00]));
      expectProblem(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
    });

    it("applies a route's tighter body limit (sign-up: 4 kB) with 413", async () => {
      const res = await request(t.server)
        .post('/accounts')
        .send({ ...validAccount('big'), profile: { displayName: 'x', bio: 'y'.repeat(5000) } });
      expectProblem(res, 413, 'PAYLOAD_TOO_LARGE');
    });
  });

  describe('JSON shape', () => {
    it('answers 10 000-deep nested JSON with 400 and keeps serving', async () => {
      const deep = '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000);
      for (const path of ['/accounts', '/accounts/via-schema']) {
        const res = await request(t.server).post(path).set('Content-Type', 'application/json').send(deep);
        expectProblem(res, 400, 'VALIDATION_ERROR');
        expect(res.body.detail).toContain('nested deeper than 20');
      }
      const arrays = '['.repeat(10_000) + ']'.repeat(10_000);
      expectProblem(
        await request(t.server).post('/accounts').set('Content-Type', 'application/json').send(arrays),
        400,
      );
      expect((await request(t.server).get('/health')).status).toBe(200);
    });

    it("applies a route's tighter depth limit", async () => {
      const res = await request(t.server)
        .post('/accounts')
        .send({ ...validAccount('deep'), profile: { displayName: 'x', bio: 'y', extra: { a: { b: 1 } } } });
      expectProblem(res, 400, 'VALIDATION_ERROR');
    });

    it('refuses too many keys, too long arrays and too long strings', async () => {
      const keys = Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [`k${i}`, 1]));
      expectProblem(await request(t.server).post('/notes').set(admin).send(keys), 400, 'VALIDATION_ERROR');
      expectProblem(
        await request(t.server)
          .post('/notes')
          .set(admin)
          .send({ title: Array(1001).fill(1) }),
        400,
      );
      expectProblem(
        await request(t.server)
          .post('/notes')
          .set(admin)
          .send({ title: 'x'.repeat(10_001) }),
        400,
      );
    });

    it.each([
      ['__proto__', '{"email":"a@b.co","__proto__":{"isAdmin":true}}'],
      ['constructor.prototype', '{"email":"a@b.co","constructor":{"prototype":{"isAdmin":true}}}'],
      ['an escaped __proto__', '{"\\u005f_proto__":{"isAdmin":true}}'],
    ])('refuses %s at parse time, reports it, and pollutes nothing', async (_name, body) => {
      const events: SecurityEvent[] = [];
      const unsubscribe = t.app.get(SecurityEvents).subscribe((event) => events.push(event));
      onTestFinished(unsubscribe);
      for (const path of ['/accounts', '/accounts/via-schema']) {
        const res = await request(t.server).post(path).set('Content-Type', 'application/json').send(body);
        expectProblem(res, 400, 'VALIDATION_ERROR');
        expect(res.body.detail).toMatch(/__proto__|constructor\.prototype/);
      }
      expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
      expect(Object.prototype).not.toHaveProperty('isAdmin');
      expect(events.filter((e) => e.reason === 'prototype_poisoning')).toHaveLength(2);
    });

    it('answers malformed JSON with 400 without quoting it', async () => {
      const res = await request(t.server)
        .post('/accounts')
        .set('Content-Type', 'application/json')
        .send('{"a": <secret>');
      expectProblem(res, 400, 'BAD_REQUEST');
      expect(res.text).not.toContain('secret');
    });
  });

  describe('create user (class-validator DTO and zod schema)', () => {
    it.each(['/accounts', '/accounts/via-schema'])(
      '%s creates an account and never returns the password',
      async (path) => {
        const res = await request(t.server).post(path).send(validAccount(path.length));
        expect(res.status).toBe(202);
        expect(res.text).not.toContain('battery');
        const stored = await request(t.server)
          .get(`/accounts/${await accountId(`user_${path.length}`)}`)
          .set(admin);
        expect(stored.body).toMatchObject({
          username: `user_${path.length}`,
          profile: { displayName: `User ${path.length}` },
        });
        expect(stored.text).not.toMatch(/battery|password/i);
      },
    );

    it.each(['constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'])(
      'refuses an unknown key named %s with 400 naming it, like any other unknown key (DTO and schema)',
      async (key) => {
        for (const path of ['/accounts', '/accounts/via-schema']) {
          const res = await request(t.server)
            .post(path)
            .send({ ...validAccount(`k${key}`), [key]: 'x' });
          expectProblem(res, 400, 'VALIDATION_ERROR');
          expect(res.body.errors).toContainEqual(expect.objectContaining({ field: key }));
          const nested = await request(t.server)
            .post(path)
            .send({ ...validAccount(`n${key}`), profile: { displayName: 'N', [key]: 'x' } });
          expectProblem(nested, 400, 'VALIDATION_ERROR');
          expect(nested.body.errors).toContainEqual(expect.objectContaining({ field: `profile.${key}` }));
        }
      },
    );

    it.each(['/accounts', '/accounts/via-schema'])('%s refuses role: "admin" with 400 naming role', async (path) => {
      const res = await request(t.server)
        .post(path)
        .send({ ...validAccount('r'), role: 'admin' });
      expectProblem(res, 400, 'VALIDATION_ERROR');
      expect(res.body.errors).toContainEqual(expect.objectContaining({ field: 'role' }));
    });

    it.each(['/accounts', '/accounts/via-schema'])(
      '%s refuses an unknown nested field, naming its path',
      async (path) => {
        const body = validAccount('n');
        const res = await request(t.server)
          .post(path)
          .send({ ...body, profile: { ...body.profile, verified: true } });
        expectProblem(res, 400, 'VALIDATION_ERROR');
        expect(res.body.errors).toContainEqual(expect.objectContaining({ field: 'profile.verified' }));
      },
    );

    it.each(['/accounts', '/accounts/via-schema'])(
      '%s lists invalid fields without echoing their values',
      async (path) => {
        const res = await request(t.server)
          .post(path)
          .send({
            email: 'not-an-email<img src=x>',
            username: 'a b<svg>',
            password: 'secret123',
            profile: { displayName: '' },
          });
        expectProblem(res, 400, 'VALIDATION_ERROR');
        const fields = (res.body.errors as { field: string }[]).map((e) => e.field);
        expect(fields).toEqual(expect.arrayContaining(['email', 'username', 'password', 'profile.displayName']));
        for (const value of ['not-an-email', '<img', '<svg>', 'secret123']) expect(res.text).not.toContain(value);
      },
    );

    it('refuses a body that is not an object, and a missing nested profile', async () => {
      expectProblem(
        await request(t.server)
          .post('/accounts')
          .send([validAccount('arr')]),
        400,
        'VALIDATION_ERROR',
      );
      expectProblem(await request(t.server).post('/accounts').set('Content-Type', 'application/json').send('"x"'), 400);
      const noProfile: Partial<ReturnType<typeof validAccount>> = validAccount('np');
      delete noProfile.profile;
      const res = await request(t.server).post('/accounts').send(noProfile);
      expectProblem(res, 400, 'VALIDATION_ERROR');
      expect(res.body.errors).toContainEqual(expect.objectContaining({ field: 'profile' }));
    });

    it.each(['/accounts', '/accounts/via-schema'])(
      '%s stores a sanitised bio and a plain display name',
      async (path) => {
        const body = validAccount(`s${path.length}`);
        const res = await request(t.server)
          .post(path)
          .send({ ...body, profile: { displayName: ' <i>Ada</i>\u0000 ', bio: '<script>alert(1)</script><b>hi</b>' } });
        expect(res.status).toBe(202);
        const stored = await request(t.server)
          .get(`/accounts/${await accountId(body.username)}`)
          .set(admin);
        expect(stored.body.profile).toEqual({ displayName: 'Ada', bio: '<b>hi</b>' });
      },
    );
  });

  describe('update profile', () => {
    let id: string;
    beforeAll(async () => {
      await request(t.server).post('/accounts').send(validAccount('profile')).expect(202);
      id = await accountId('user_profile');
    });

    it('removes javascript: links and keeps http ones', async () => {
      const res = await request(t.server).patch(`/accounts/${id}/profile`).set(admin).send({
        bio: '<a href="javascript:alert(1)">x</a> <a href="JaVaScRiPt&colon;alert(1)">y</a> <a href="https://example.com">z</a> <img src=x onerror=alert(1)>',
      });
      expect(res.status).toBe(200);
      expect(res.body.profile.bio).toBe('<a>x</a> <a>y</a> <a href="https://example.com">z</a> ');
      expect(res.text).not.toMatch(/javascript|onerror|<img/i);
    });

    it('takes a public https website and refuses the others', async () => {
      const ok = await request(t.server)
        .patch(`/accounts/${id}/profile`)
        .set(admin)
        .send({ website: ' https://example.com/me ' });
      expect(ok.body.profile.website).toBe('https://example.com/me');
      for (const website of [
        'javascript:alert(1)',
        'http://example.com',
        'https://169.254.169.254/latest',
        'https://localhost',
      ]) {
        const res = await request(t.server).patch(`/accounts/${id}/profile`).set(admin).send({ website });
        expectProblem(res, 400, 'VALIDATION_ERROR');
        expect(res.body.errors).toEqual([
          { field: 'website', message: 'website must be an absolute https URL to a public host' },
        ]);
      }
    });

    it('refuses a mass-assignment attempt on the profile', async () => {
      const res = await request(t.server)
        .patch(`/accounts/${id}/profile`)
        .set(admin)
        .send({ bio: 'ok', email: 'x@evil.test' });
      expectProblem(res, 400, 'VALIDATION_ERROR');
      expect(res.body.errors).toContainEqual(expect.objectContaining({ field: 'email' }));
    });

    it('still requires the admin role (the auth guard runs before validation)', async () => {
      const res = await request(t.server)
        .patch(`/accounts/${id}/profile`)
        .set(await bearer(t.app, 'u-alice'))
        .send({ bio: 'x' });
      expect(res.status).toBe(403);
    });
  });

  describe('paginated listing and query strings', () => {
    it('applies the defaults', async () => {
      const res = await request(t.server).get('/accounts').set(admin);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ page: 1, limit: 20 });
    });

    it('converts explicit integers and sorts by an allowed field', async () => {
      const res = await request(t.server).get('/accounts?page=1&limit=2&sortBy=username&order=desc').set(admin);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ page: 1, limit: 2 });
      const names = (res.body.items as { username: string }[]).map((a) => a.username);
      expect(names).toEqual([...names].sort().reverse());
    });

    it.each([
      ['page=0', 'page'],
      ['page=1001', 'page'],
      ['page=1e3', 'page'],
      ['page=0x10', 'page'],
      ['page=2&page=3', 'page'],
      ['limit=101', 'limit'],
      ['limit=', 'limit'],
      ['sortBy=passwordHash', 'sortBy'],
      ['order=up', 'order'],
      ['role=admin', 'role'],
      ['filter[role][$ne]=x', 'filter[role][$ne]'],
      ['__proto__[isAdmin]=1', '__proto__[isAdmin]'],
    ])('refuses ?%s naming %s', async (query, field) => {
      const res = await request(t.server).get(`/accounts?${query}`).set(admin);
      expectProblem(res, 400, 'VALIDATION_ERROR');
      expect(res.body.errors).toContainEqual(expect.objectContaining({ field }));
      expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    });

    it('answers 10 000 query parameters with 400 or 414, never parsing them', async () => {
      const short = await request(t.server)
        .get(`/accounts?${'a&'.repeat(10_000)}`)
        .set(admin);
      expect([400, 414]).toContain(short.status);
      expect(short.headers['content-type']).toMatch(/^application\/problem\+json/);
      const long = await rawExchange(port, {
        method: 'GET',
        path: `/accounts?${Array.from({ length: 10_000 }, (_, i) => `p${i}=${i}`).join('&')}`,
      });
      expect([400, 414]).toContain(long.status);
      expect(JSON.parse(long.body)).toMatchObject({ status: long.status });
      expect((await request(t.server).get('/health')).status).toBe(200);
    });

    it('answers more than 100 parameters within the URL limit with 400', async () => {
      const res = await request(t.server).get(`/health?${'a&'.repeat(150)}`);
      expectProblem(res, 400, 'VALIDATION_ERROR');
    });

    it('answers a URL over 4 kB with 414', async () => {
      expectProblem(await request(t.server).get(`/health?x=${'a'.repeat(5000)}`), 414, 'URI_TOO_LONG');
    });

    it('answers more than 100 headers with 431, and a head over 16 kB with 431', async () => {
      const req = request(t.server).get('/health');
      for (let i = 0; i < 120; i++) void req.set(`x-h${i}`, '1');
      expectProblem(await req, 431, 'HEADERS_TOO_LARGE');
      const big = await rawExchange(port, { method: 'GET', path: '/health', headers: { 'x-big': 'a'.repeat(20_000) } });
      expect(big.status).toBe(431);
      expect(JSON.parse(big.body)).toMatchObject({ code: 'HEADERS_TOO_LARGE' });
    });
  });

  describe('timeouts', () => {
    it('answers a handler past its timeout with 503 problem+json and aborts its signal', async () => {
      const before = SlowController.aborted;
      const res = await request(t.server).get('/test/slow');
      expectProblem(res, 503, 'SERVICE_UNAVAILABLE');
      expect(res.headers['retry-after']).toBe('5');
      // Well before the handler's own 5 s sleep would end.
      await expect.poll(() => SlowController.aborted, { timeout: 2_000 }).toBe(before + 1);
    });

    it('drops what a handler returns after its deadline answered: no error, no event, no cut connection', async () => {
      const events: SecurityEvent[] = [];
      const unsubscribe = t.app.get(SecurityEvents).subscribe((event) => events.push(event));
      onTestFinished(unsubscribe);
      const finished = SlowController.finished;
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      onTestFinished(() => agent.destroy());
      const late = await rawExchange(port, { method: 'GET', path: '/test/slow', agent });
      expect(late.status).toBe(503);
      // The handler returns once its signal fired, after the 503: Express cannot send that value.
      await expect.poll(() => SlowController.finished, { timeout: 2_000 }).toBe(finished + 1);
      // The same kept-alive connection still answers.
      expect((await rawExchange(port, { method: 'GET', path: '/health', agent })).status).toBe(200);
      expect(events.filter((e) => e.type === 'request.error')).toEqual([]);
    });

    it('neither cuts nor aborts an answer that started before the timeout', async () => {
      const res = await request(t.server)
        .get('/test/slow/stream')
        .buffer(true)
        .parse((stream, done) => {
          let text = '';
          stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
          stream.on('end', () => done(null, text));
        });
      expect(res.status).toBe(200);
      expect(res.body).toBe('first;last');
    });

    it("aborts a handler's signal when the client goes away", async () => {
      const [started, aborted] = [SlowController.started, SlowController.aborted];
      const req = httpRequest({ host: '127.0.0.1', port, path: '/test/slow/hang' });
      req.on('error', () => undefined);
      req.end();
      await expect.poll(() => SlowController.started, { timeout: 5_000 }).toBe(started + 1);
      req.destroy();
      // Well before the route's own 5 s timeout, which would abort the signal too.
      await expect.poll(() => SlowController.aborted, { timeout: 2_000 }).toBe(aborted + 1);
    });

    it('sets the slow-loris timeouts on the server', () => {
      expect(t.server.headersTimeout).toBe(10_000);
      expect(t.server.requestTimeout).toBe(30_000);
      expect(t.server.keepAliveTimeout).toBe(5_000);
    });
  });

  describe('fuzzing', () => {
    const isProblemOr2xx = (res: request.Response): boolean =>
      (res.status >= 200 && res.status < 300) ||
      (res.status >= 400 &&
        res.status < 500 &&
        /^application\/problem\+json/.test(String(res.headers['content-type'])));

    it.each(['/accounts', '/accounts/via-schema'])(
      '%s answers random JSON with 2xx or 4xx problem+json',
      async (path) => {
        await fc.assert(
          fc.asyncProperty(
            fc.oneof(
              fc.jsonValue(),
              fc.record(
                { email: fc.jsonValue(), username: fc.jsonValue(), password: fc.jsonValue(), profile: fc.jsonValue() },
                { requiredKeys: [] },
              ),
              fc.dictionary(fc.string(), fc.jsonValue()),
            ),
            async (value) => {
              const res = await request(t.server)
                .post(path)
                .set('Content-Type', 'application/json')
                .send(JSON.stringify(value));
              expect(isProblemOr2xx(res), `${res.status} ${res.text}`).toBe(true);
            },
          ),
          { numRuns: 150 },
        );
      },
    );

    it('answers random bytes with 2xx or 4xx problem+json', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.uint8Array({ maxLength: 2048 }),
          fc.constantFrom('/accounts', '/accounts/via-schema'),
          async (bytes, path) => {
            const res = await request(t.server)
              .post(path)
              .set('Content-Type', 'application/json')
              .send(Buffer.from(bytes));
            expect(isProblemOr2xx(res), `${res.status} ${res.text}`).toBe(true);
          },
        ),
        { numRuns: 150 },
      );
      expect((await request(t.server).get('/health')).status).toBe(200);
    });
  });
});
