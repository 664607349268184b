import { Body, Controller, HttpCode, Module, Post, type INestApplication, type Type } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { RampartCoreModule, SecurityEvents, useRequestContext, type SecurityEvent } from '@rampart/core';
import { ErrorsModule } from '@rampart/errors';
import { useRequestLimits, ValidationModule } from '@rampart/validation';
import {
  generateWebhookSecret,
  newWebhookMessageId,
  StandardWebhookSigner,
  Webhook,
  WebhookEndpoint,
  WebhooksModule,
  type WebhookContext,
} from '@rampart/webhooks';
import { Redis } from 'ioredis';
import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWithPrivateRedis, startPrivateRedis, type PrivateRedis } from './utils/private-redis';
import { describeWithRedis, redisUrl, uniqueKeyPrefix } from './utils/redis';
import {
  DEMO_STRIPE_WEBHOOK_SECRET,
  DEMO_WEBHOOK_SECRET,
  DEMO_WEBHOOK_SIGNING_SECRET,
  loadConfig,
} from '../apps/sample-api/src/app.config';
import { bearer } from './utils/auth';
import { PLATFORMS, startApp, type TestApp } from './utils/test-app';

// Secrets of the senders. The signatures below come from code independent of Rampart: Node's
// crypto directly, and Stripe's SDK (`generateTestHeaderString`).
const STANDARD_KEY = Buffer.alloc(32, 0x5a);
const RETIRED_KEY = Buffer.alloc(32, 0x17);
const STRIPE_SECRET = 'whsec_e2e_5f1d9c3b7a2e4f6d8b0c1a3e5d7f9b2c';
const GITHUB_SECRET = 'github e2e secret, 32 characters';
const stripe = new Stripe('sk_test_unused');

@Controller('hooks')
class ReceiverController {
  static failNext = false;

  @Post('standard')
  @HttpCode(200)
  @WebhookEndpoint('standard')
  standard(@Body() event: { type: string }, @Webhook() webhook: WebhookContext): object {
    if (ReceiverController.failNext) {
      ReceiverController.failNext = false;
      throw new Error('the database is down');
    }
    return { received: event.type, id: webhook.id, bytes: webhook.rawBody.length };
  }

  @Post('stripe')
  @HttpCode(200)
  @WebhookEndpoint('stripe')
  stripe(@Body() event: { type: string }): object {
    return { received: event.type };
  }

  @Post('github')
  @HttpCode(200)
  @WebhookEndpoint('github')
  github(@Webhook() webhook: WebhookContext): object {
    return { delivery: webhook.id };
  }

  @Post('small')
  @HttpCode(200)
  @WebhookEndpoint('small')
  small(): object {
    return {};
  }
}

function appModule(store: { url: string; keyPrefix: string }): Type {
  @Module({
    imports: [
      RampartCoreModule.forRoot({ store: { type: 'redis', ...store }, logEvents: false }),
      ErrorsModule.forRoot({}),
      ValidationModule.forRoot({}),
      WebhooksModule.forRoot({
        endpoints: {
          standard: { scheme: 'standard-webhooks', secrets: [`whsec_${STANDARD_KEY.toString('base64')}`] },
          stripe: { scheme: 'stripe', secrets: [STRIPE_SECRET] },
          github: { scheme: 'github', secrets: [GITHUB_SECRET] },
          small: { scheme: 'standard-webhooks', secrets: [generateWebhookSecret()], maxBodyBytes: 64 },
        },
      }),
    ],
    controllers: [ReceiverController],
  })
  class WebhooksTestModule {}
  return WebhooksTestModule;
}

interface Instance {
  app: INestApplication;
  server: Server;
  events: SecurityEvent[];
}

async function startInstance(platform: string, keyPrefix: string, url = redisUrl): Promise<Instance> {
  const moduleRef = await Test.createTestingModule({ imports: [appModule({ url, keyPrefix })] }).compile();
  const app = moduleRef.createNestApplication(platform === 'fastify' ? new FastifyAdapter() : new ExpressAdapter(), {
    rawBody: true,
    logger: false,
  });
  useRequestContext(app);
  useRequestLimits(app);
  await app.init();
  if (platform === 'fastify') await (app.getHttpAdapter().getInstance() as { ready(): Promise<unknown> }).ready();
  const events: SecurityEvent[] = [];
  app.get(SecurityEvents).subscribe((event) => events.push(event));
  return { app, server: app.getHttpServer() as Server, events };
}

/** Standard Webhooks headers computed with Node's crypto, as the spec defines them. */
function standardHeaders(body: string, options: { id?: string; key?: Buffer; ageSeconds?: number } = {}) {
  const id = options.id ?? newWebhookMessageId();
  const timestamp = String(Math.floor(Date.now() / 1000) - (options.ageSeconds ?? 0));
  const signature = createHmac('sha256', options.key ?? STANDARD_KEY)
    .update(`${id}.${timestamp}.${body}`)
    .digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${signature}` };
}

function post(instance: Instance, path: string, body: string, headers: Record<string, string>) {
  return request(instance.server).post(path).set('Content-Type', 'application/json').set(headers).send(body);
}

/** A refusal: the expected status, a problem document, never a 500, and a webhook.rejected event. */
function expectRefused(instance: Instance, response: request.Response, status: number, reason: string): void {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(response.body.status).toBe(status);
  const event = instance.events.at(-1);
  expect(event).toMatchObject({
    type: 'webhook.rejected',
    reason: `webhook_${reason}`,
    details: { status, endpoint: expect.any(String) as unknown, scheme: expect.any(String) as unknown },
  });
  expect(instance.events.some((e) => e.type === 'auth.failure')).toBe(false);
}

describeWithRedis.each(PLATFORMS)('webhooks on %s (Redis)', (platform) => {
  const keyPrefix = uniqueKeyPrefix('webhooks');
  let one: Instance;
  let two: Instance;
  const body = JSON.stringify({ type: 'invoice.paid', data: { amount: 4200, currency: 'eur' } }, null, 2);

  beforeAll(async () => {
    one = await startInstance(platform, keyPrefix);
    two = await startInstance(platform, keyPrefix);
  });

  afterAll(async () => {
    await Promise.all([one.app.close(), two.app.close()]);
    const redis = new Redis(redisUrl);
    const keys = await redis.keys(`${keyPrefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('passes a valid Standard Webhooks signature over the raw bytes (pretty-printed JSON)', async () => {
    const headers = standardHeaders(body);
    const response = await post(one, '/hooks/standard', body, headers);
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(response.body).toEqual({
      received: 'invoice.paid',
      id: headers['webhook-id'],
      bytes: Buffer.byteLength(body),
    });
  });

  it("passes headers produced by Rampart's own signer too", async () => {
    const signer = new StandardWebhookSigner([`whsec_${STANDARD_KEY.toString('base64')}`]);
    const response = await post(one, '/hooks/standard', body, { ...signer.sign({ id: newWebhookMessageId(), body }) });
    expect(response.status).toBe(200);
  });

  it('refuses a body changed by one byte (401)', async () => {
    const headers = standardHeaders(body);
    const tampered = body.replace('4200', '4201');
    expectRefused(one, await post(one, '/hooks/standard', tampered, headers), 401, 'signature_mismatch');
  });

  it('refuses a signature from a retired secret (401)', async () => {
    const headers = standardHeaders(body, { key: RETIRED_KEY });
    expectRefused(one, await post(one, '/hooks/standard', body, headers), 401, 'signature_mismatch');
  });

  it('refuses a timestamp 6 minutes old, validly signed (401)', async () => {
    const headers = standardHeaders(body, { ageSeconds: 360 });
    expectRefused(one, await post(one, '/hooks/standard', body, headers), 401, 'timestamp_out_of_tolerance');
  });

  it('refuses a replayed id on the same instance and on a second instance sharing Redis (409)', async () => {
    const headers = standardHeaders(body);
    expect((await post(one, '/hooks/standard', body, headers)).status).toBe(200);
    expectRefused(one, await post(one, '/hooks/standard', body, headers), 409, 'replayed');
    expectRefused(two, await post(two, '/hooks/standard', body, headers), 409, 'replayed');
  });

  it('lets exactly one of two instances accept the same message sent to both at once', async () => {
    const headers = standardHeaders(body);
    const answers = await Promise.all([
      post(one, '/hooks/standard', body, headers),
      post(two, '/hooks/standard', body, headers),
    ]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
  });

  it("accepts the sender's retry of a message whose handling failed (same id, new attempt)", async () => {
    const id = newWebhookMessageId();
    ReceiverController.failNext = true;
    expect((await post(one, '/hooks/standard', body, standardHeaders(body, { id }))).status).toBe(500);
    expect((await post(two, '/hooks/standard', body, standardHeaders(body, { id }))).status).toBe(200);
    expect((await post(one, '/hooks/standard', body, standardHeaders(body, { id }))).status).toBe(409);
  });

  it('refuses missing and malformed headers (400), never with a 500', async () => {
    const valid = standardHeaders(body);
    for (const name of Object.keys(valid)) {
      const headers = Object.fromEntries(Object.entries(valid).filter(([key]) => key !== name));
      expectRefused(one, await post(one, '/hooks/standard', body, headers), 400, 'missing_header');
    }
    const malformed: Record<string, string>[] = [
      { 'webhook-timestamp': 'yesterday' },
      { 'webhook-timestamp': '-1' },
      { 'webhook-signature': 'v1,' },
      { 'webhook-signature': 'sha256=abc' },
      { 'webhook-signature': 'v1,AAAA '.repeat(40) },
      { 'webhook-id': 'msg.with.dots' },
      { 'webhook-id': 'x'.repeat(300) },
    ];
    for (const override of malformed) {
      expectRefused(one, await post(one, '/hooks/standard', body, { ...valid, ...override }), 400, 'malformed_header');
    }
  });

  it("refuses a body over the endpoint's cap before hashing it (413)", async () => {
    const large = JSON.stringify({ type: 'x', padding: 'y'.repeat(100) });
    expectRefused(one, await post(one, '/hooks/small', large, standardHeaders(large)), 413, 'body_too_large');
  });

  it("passes a Stripe-Signature made by Stripe's SDK, and refuses tampering, age and replay", async () => {
    const stripeBody = JSON.stringify({ id: 'evt_1', type: 'payment_intent.succeeded' });
    const header = stripe.webhooks.generateTestHeaderString({ payload: stripeBody, secret: STRIPE_SECRET });
    const ok = await post(one, '/hooks/stripe', stripeBody, { 'stripe-signature': header });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ received: 'payment_intent.succeeded' });
    expectRefused(two, await post(two, '/hooks/stripe', stripeBody, { 'stripe-signature': header }), 409, 'replayed');
    const tampered = stripeBody.replace('evt_1', 'evt_2');
    expectRefused(
      one,
      await post(one, '/hooks/stripe', tampered, { 'stripe-signature': header }),
      401,
      'signature_mismatch',
    );
    const old = stripe.webhooks.generateTestHeaderString({
      payload: stripeBody,
      secret: STRIPE_SECRET,
      timestamp: Math.floor(Date.now() / 1000) - 360,
    });
    expectRefused(
      one,
      await post(one, '/hooks/stripe', stripeBody, { 'stripe-signature': old }),
      401,
      'timestamp_out_of_tolerance',
    );
    const retired = stripe.webhooks.generateTestHeaderString({
      payload: stripeBody,
      secret: 'whsec_retired_0123456789abcdef',
    });
    expectRefused(
      one,
      await post(one, '/hooks/stripe', stripeBody, { 'stripe-signature': retired }),
      401,
      'signature_mismatch',
    );
    expectRefused(one, await post(one, '/hooks/stripe', stripeBody, {}), 400, 'missing_header');
    expectRefused(
      one,
      await post(one, '/hooks/stripe', stripeBody, { 'stripe-signature': 't=1,v1=zz' }),
      400,
      'malformed_header',
    );
  });

  it('passes an X-Hub-Signature-256 computed with Node crypto, and refuses a one-byte change', async () => {
    const githubBody = JSON.stringify({ zen: 'Design for failure.', hook_id: Date.now() });
    const signature = `sha256=${createHmac('sha256', GITHUB_SECRET).update(githubBody).digest('hex')}`;
    const headers = { 'x-hub-signature-256': signature, 'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958' };
    const ok = await post(one, '/hooks/github', githubBody, headers);
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ delivery: '72d3162e-cc78-11e3-81ab-4c9367dc0958' });
    expectRefused(one, await post(one, '/hooks/github', `${githubBody} `, headers), 401, 'signature_mismatch');
    expectRefused(two, await post(two, '/hooks/github', githubBody, headers), 409, 'replayed');
  });
});

describeWithPrivateRedis.each(PLATFORMS)('webhooks on %s when Redis is frozen or killed', (platform) => {
  let redis: PrivateRedis;
  let instance: Instance;
  const body = JSON.stringify({ type: 'invoice.paid' });

  beforeAll(async () => {
    redis = await startPrivateRedis();
    instance = await startInstance(platform, 'webhooks:', redis.url);
  });
  afterAll(async () => {
    await instance.app.close();
    await redis.stop();
  });

  it('fails closed: a valid webhook is answered 503 with Retry-After (the sender retries), never a 500', async () => {
    expect((await post(instance, '/hooks/standard', body, standardHeaders(body))).status).toBe(200);
    redis.freeze();
    const frozen = await post(instance, '/hooks/standard', body, standardHeaders(body));
    expect(frozen.status).toBe(503);
    expect(frozen.headers['retry-after']).toBeDefined();
    expect(frozen.headers['content-type']).toMatch(/^application\/problem\+json/);
    // A forgery is still refused for what it is: verification does not need the store.
    const forged = await post(instance, '/hooks/standard', body, standardHeaders(body, { key: RETIRED_KEY }));
    expect(forged.status).toBe(401);
    await redis.stop();
    const killed = await post(instance, '/hooks/standard', body, standardHeaders(body));
    expect(killed.status).toBe(503);
  });
});

describe.each(PLATFORMS)("the sample API's webhook receivers on %s", (platform) => {
  let sample: TestApp;
  beforeAll(async () => {
    sample = await startApp(platform);
  });
  afterAll(async () => {
    await sample.close();
  });

  it('accepts a Standard Webhooks event signed with the configured secret, without a bearer token', async () => {
    const event = JSON.stringify({ type: 'invoice.paid', timestamp: new Date().toISOString(), data: { id: 'in_1' } });
    const key = Buffer.from(DEMO_WEBHOOK_SECRET.slice('whsec_'.length), 'base64');
    const headers = standardHeaders(event, { key });
    const send = () =>
      request(sample.server).post('/webhooks/standard').set('Content-Type', 'application/json').set(headers);
    expect((await send().send(event)).status).toBe(204);
    expect((await send().send(event)).status).toBe(409);
    const tampered = await send().send(event.replace('in_1', 'in_2'));
    expect(tampered.status).toBe(401);
    expect(tampered.body.code).toBe('UNAUTHORIZED');
  });

  it('validates the verified body like any other (a malformed event is a 400 after the signature passes)', async () => {
    const event = JSON.stringify({ type: 'Invoice Paid!', timestamp: 'now', data: {} });
    const key = Buffer.from(DEMO_WEBHOOK_SECRET.slice('whsec_'.length), 'base64');
    const response = await request(sample.server)
      .post('/webhooks/standard')
      .set('Content-Type', 'application/json')
      .set(standardHeaders(event, { key }))
      .send(event);
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('VALIDATION_ERROR');
  });

  it("accepts a Stripe event signed by Stripe's SDK and refuses one signed with another secret", async () => {
    const event = JSON.stringify({ id: 'evt_sample', object: 'event', type: 'checkout.session.completed' });
    const header = stripe.webhooks.generateTestHeaderString({ payload: event, secret: DEMO_STRIPE_WEBHOOK_SECRET });
    const send = (signature: string) =>
      request(sample.server)
        .post('/webhooks/stripe')
        .set('Content-Type', 'application/json')
        .set('Stripe-Signature', signature)
        .send(event);
    expect((await send(header)).status).toBe(204);
    const forged = stripe.webhooks.generateTestHeaderString({ payload: event, secret: STRIPE_SECRET });
    expect((await send(forged)).status).toBe(401);
  });
});

describe.each(PLATFORMS)("the sample API's outgoing webhooks on %s", (platform) => {
  const received: { headers: IncomingHttpHeaders; body: string }[] = [];
  let statuses: number[] = [];
  let subscriber: Server;
  let sample: TestApp;

  beforeAll(async () => {
    subscriber = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.writeHead(statuses.shift() ?? 204).end();
      });
    });
    subscriber.listen(0, '127.0.0.1');
    await once(subscriber, 'listening');
    const port = (subscriber.address() as AddressInfo).port;
    sample = await startApp(platform, {
      // Three failed sign-ins from one IP are an incident here (10 in the sample's defaults).
      audit: { ...loadConfig({}).audit, failedLogins: { threshold: 3, windowMs: 60_000 } },
      webhooks: {
        ...loadConfig({}).webhooks,
        subscriberUrl: `http://subscriber.test:${port}/hooks`,
        // The subscriber listens on loopback: the test-only exemption of the SSRF-safe client.
        testOnly: {
          resolver: () => Promise.resolve([{ address: '127.0.0.1', family: 4 as const }]),
          allowPrivateNetworks: ['127.0.0.1/32'],
        },
      },
    });
  });
  afterAll(async () => {
    await sample.close();
    subscriber.close();
  });

  it('delivers a signed event to a failing subscriber with retries and one idempotency key (admin only)', async () => {
    received.length = 0;
    statuses = [503, 502];
    const refused = await request(sample.server)
      .post('/webhooks/outgoing/ping')
      .set(await bearer(sample.app, 'u-alice'));
    expect(refused.status).toBe(403);
    expect(received).toHaveLength(0);

    const response = await request(sample.server)
      .post('/webhooks/outgoing/ping')
      .set(await bearer(sample.app, 'u-admin'));
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ delivered: true });
    const { attempts } = response.body as { attempts: { status: number }[] };
    expect(attempts.map((a) => a.status)).toEqual([503, 502, 204]);
    expect(received).toHaveLength(3);
    const key = Buffer.from(DEMO_WEBHOOK_SIGNING_SECRET.slice('whsec_'.length), 'base64');
    for (const { headers, body } of received) {
      expect(headers['webhook-id']).toBe(response.body.id);
      expect(headers['idempotency-key']).toBe(response.body.id);
      const signed = `${String(headers['webhook-id'])}.${String(headers['webhook-timestamp'])}.${body}`;
      expect(headers['webhook-signature']).toBe(`v1,${createHmac('sha256', key).update(signed).digest('base64')}`);
      expect(JSON.parse(body)).toMatchObject({ type: 'webhook.ping' });
    }
  });

  it('posts a security alert to the subscriber once per incident, signed like every other event', async () => {
    received.length = 0;
    statuses = [];
    for (let i = 0; i < 5; i++) {
      const res = await request(sample.server)
        .post('/oauth/login')
        .type('form')
        .send({ username: 'alice@acme.test', password: `wrong-${i}`, return_to: '' });
      expect(res.status).toBe(401);
    }
    const alerts = () => received.filter(({ body }) => body.includes('rampart.alert.'));
    for (let i = 0; i < 100 && alerts().length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    // Five failures past a threshold of three: one incident, one notice.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(alerts()).toHaveLength(1);
    const { headers, body } = alerts()[0]!;
    const key = Buffer.from(DEMO_WEBHOOK_SIGNING_SECRET.slice('whsec_'.length), 'base64');
    const signed = `${String(headers['webhook-id'])}.${String(headers['webhook-timestamp'])}.${body}`;
    expect(headers['webhook-signature']).toBe(`v1,${createHmac('sha256', key).update(signed).digest('base64')}`);
    const alert = JSON.parse(body) as { type: string; data: { rule: string; threshold: number } };
    expect(alert).toMatchObject({ type: 'rampart.alert.firing', data: { rule: 'credential_stuffing', threshold: 3 } });
    // The notice carries the redacted event: never the password that was tried.
    expect(body).not.toContain('wrong-');
  });
});
