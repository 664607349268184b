import { OutboundClient } from '@rampart/outbound';
import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StandardWebhookSigner } from './standard-webhook.signer';
import { WebhookDelivery, type DeadLetter, type WebhookDeliveryOptions } from './webhook-delivery';

const KEY = Buffer.alloc(32, 0x42);
const signer = new StandardWebhookSigner([`whsec_${KEY.toString('base64')}`]);

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/** A local receiver answering each request with the next status of `script` (the last one repeats). */
class FlakyReceiver {
  readonly received: Received[] = [];
  private server!: Server;
  script: { status: number; headers?: Record<string, string> }[] = [{ status: 204 }];

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        this.received.push({ headers: req.headers, body: Buffer.concat(chunks).toString(), at: performance.now() });
        const step = this.script[Math.min(this.received.length - 1, this.script.length - 1)] ?? { status: 204 };
        res.writeHead(step.status, step.headers).end();
      });
    });
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
  }

  get url(): string {
    return `http://receiver.test:${(this.server.address() as AddressInfo).port}/hooks`;
  }

  reset(script: FlakyReceiver['script']): void {
    this.received.length = 0;
    this.script = script;
  }

  async stop(): Promise<void> {
    this.server.close();
    await once(this.server, 'close');
  }
}

// The receiver is on loopback: the test-only exemption lets the SSRF-safe client reach it by a
// test name; everything else about the client is as in production.
const client = new OutboundClient({
  allowedHosts: [{ host: 'receiver.test', allowHttp: true }],
  allowPrivateNetworks: ['127.0.0.1/32'],
  resolver: () => Promise.resolve([{ address: '127.0.0.1', family: 4 }]),
});

function delivery(options: Partial<WebhookDeliveryOptions> = {}): WebhookDelivery {
  return new WebhookDelivery({ client, signer, baseDelayMs: 100, maxDelayMs: 2000, ...options });
}

/** Checks a received request's signature with Node's crypto, as a receiver would. */
function signatureValid(received: Received): boolean {
  const { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signature } = received.headers;
  const expected = createHmac('sha256', KEY)
    .update(`${String(id)}.${String(timestamp)}.${received.body}`)
    .digest('base64');
  return signature === `v1,${expected}`;
}

describe('WebhookDelivery against a local flaky receiver', () => {
  const receiver = new FlakyReceiver();
  beforeAll(() => receiver.start());
  afterAll(async () => {
    await receiver.stop();
    await client.close();
  });

  it('retries 503s with exponential backoff and delivers, with one idempotency key across attempts', async () => {
    receiver.reset([{ status: 503 }, { status: 503 }, { status: 204 }]);
    const letters: DeadLetter[] = [];
    const result = await delivery({ random: () => 1, onDeadLetter: (l) => void letters.push(l) }).deliver({
      url: receiver.url,
      payload: { type: 'invoice.paid', data: { id: 'in_1' } },
    });
    expect(result.delivered).toBe(true);
    expect(result.attempts).toEqual([
      { status: 503, retryInMs: 100 },
      { status: 503, retryInMs: 200 },
      { status: 204 },
    ]);
    expect(letters).toEqual([]);
    expect(receiver.received).toHaveLength(3);
    const ids = receiver.received.map((r) => [r.headers['webhook-id'], r.headers['idempotency-key']]);
    expect(new Set(ids.flat())).toEqual(new Set([result.id]));
    expect(receiver.received.every(signatureValid)).toBe(true);
    expect(receiver.received.every((r) => r.body === '{"type":"invoice.paid","data":{"id":"in_1"}}')).toBe(true);
    // The waits really happened between the attempts (timers never fire early; margins for a loaded machine).
    const [first, second, third] = receiver.received.map((r) => r.at) as [number, number, number];
    expect(second - first).toBeGreaterThanOrEqual(95);
    expect(third - second).toBeGreaterThanOrEqual(195);
  });

  it('spreads retries with jitter: each delay lies between half and all of its exponential step', async () => {
    receiver.reset([{ status: 500 }]);
    const result = await delivery({ maxAttempts: 4, onDeadLetter: () => undefined }).deliver({
      url: receiver.url,
      payload: '{}',
    });
    const delays = result.attempts.slice(0, -1).map((a) => a.retryInMs ?? -1);
    [100, 200, 400].forEach((step, i) => {
      expect(delays[i]).toBeGreaterThanOrEqual(step / 2);
      expect(delays[i]).toBeLessThanOrEqual(step);
    });
  });

  it('calls the dead-letter hook once, after the last attempt, when every attempt fails', async () => {
    receiver.reset([{ status: 500 }]);
    const calls: { letter: DeadLetter; seen: number }[] = [];
    const result = await delivery({
      maxAttempts: 3,
      baseDelayMs: 10,
      onDeadLetter: (letter) => void calls.push({ letter, seen: receiver.received.length }),
    }).deliver({ url: receiver.url, payload: { n: 1 }, id: 'msg_fixed' });
    expect(result).toMatchObject({ id: 'msg_fixed', delivered: false });
    expect(calls).toHaveLength(1);
    expect(calls[0]?.seen).toBe(3);
    expect(calls[0]?.letter).toMatchObject({
      id: 'msg_fixed',
      url: receiver.url,
      body: '{"n":1}',
      reason: 'attempts_exhausted',
    });
    expect(calls[0]?.letter.attempts.map((a) => a.status)).toEqual([500, 500, 500]);
    expect(receiver.received.map((r) => r.headers['idempotency-key'])).toEqual(['msg_fixed', 'msg_fixed', 'msg_fixed']);
  });

  it('does not retry a 4xx other than 408/425/429: dead-lettered as a permanent failure', async () => {
    receiver.reset([{ status: 400 }]);
    const letters: DeadLetter[] = [];
    const result = await delivery({ onDeadLetter: (l) => void letters.push(l) }).deliver({
      url: receiver.url,
      payload: {},
    });
    expect(result.attempts).toEqual([{ status: 400 }]);
    expect(letters.map((l) => l.reason)).toEqual(['permanent_failure']);
  });

  it('waits as long as a 429 asks (Retry-After), up to maxDelayMs', async () => {
    receiver.reset([{ status: 429, headers: { 'retry-after': '1' } }, { status: 200 }]);
    const result = await delivery({ random: () => 0 }).deliver({ url: receiver.url, payload: {} });
    expect(result.attempts).toEqual([{ status: 429, retryInMs: 1000 }, { status: 200 }]);
    const [first, second] = receiver.received.map((r) => r.at) as [number, number];
    expect(second - first).toBeGreaterThanOrEqual(995);
  });

  it('retries when nothing answers, then dead-letters with the client error', async () => {
    const closed = new FlakyReceiver();
    await closed.start();
    const url = closed.url;
    await closed.stop();
    const letters: DeadLetter[] = [];
    const result = await delivery({
      maxAttempts: 2,
      baseDelayMs: 10,
      onDeadLetter: (l) => void letters.push(l),
    }).deliver({
      url,
      payload: {},
    });
    expect(result.attempts.map((a) => a.error)).toEqual(['OUTBOUND_CONNECTION_FAILED', 'OUTBOUND_CONNECTION_FAILED']);
    expect(letters.map((l) => l.reason)).toEqual(['attempts_exhausted']);
  });

  it('never sends to an internal address: refused by the outbound client, not retried', async () => {
    const letters: DeadLetter[] = [];
    const open = new OutboundClient({ allowAnyPublicHost: true });
    const result = await new WebhookDelivery({
      client: open,
      signer,
      onDeadLetter: (l) => void letters.push(l),
    }).deliver({
      url: 'https://169.254.169.254/latest/meta-data/',
      payload: {},
    });
    await open.close();
    expect(result.attempts).toEqual([{ error: 'OUTBOUND_ADDRESS_DENIED' }]);
    expect(letters.map((l) => l.reason)).toEqual(['permanent_failure']);
  });

  it('stops waiting when aborted and dead-letters the message as aborted', async () => {
    receiver.reset([{ status: 503 }]);
    const controller = new AbortController();
    const letters: DeadLetter[] = [];
    const pending = delivery({ baseDelayMs: 1000, onDeadLetter: (l) => void letters.push(l) }).deliver({
      url: receiver.url,
      payload: {},
      signal: controller.signal,
    });
    while (receiver.received.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort();
    const result = await pending;
    expect(result.delivered).toBe(false);
    expect(receiver.received).toHaveLength(1);
    expect(letters.map((l) => l.reason)).toEqual(['aborted']);
  });

  it('refuses a nonsensical schedule at construction', () => {
    expect(() => delivery({ maxAttempts: 0 })).toThrow(RangeError);
    expect(() => delivery({ baseDelayMs: 5000, maxDelayMs: 1000 })).toThrow(RangeError);
  });
});
