import { OutboundClient } from '@rampart/outbound';
import {
  generateWebhookSecret,
  StandardWebhookSigner,
  StandardWebhooksStrategy,
  WebhookDelivery,
} from '@rampart/webhooks';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AlertNotice } from './alert-rule';
import { webhookAlerts } from './webhook-alerts';

const SECRET = generateWebhookSecret();

const notice = (status: AlertNotice['status'], group = '203.0.113.7'): AlertNotice => ({
  status,
  rule: 'credential_stuffing',
  severity: 'high',
  group,
  threshold: 10,
  windowMs: 600_000,
  time: new Date().toISOString(),
  ...(status === 'firing' ? { count: 12 } : {}),
});

/** A real receiver on loopback that verifies every Standard Webhooks signature it gets. */
describe('webhookAlerts', () => {
  const verified: { type: string; data: AlertNotice }[] = [];
  const held: ServerResponse[] = [];
  let answer: (req: IncomingMessage, res: ServerResponse, body: Buffer) => void;
  let receiver: Server;
  let client: OutboundClient;
  let url: string;

  beforeAll(async () => {
    const strategy = new StandardWebhooksStrategy({ secrets: [SECRET] });
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        strategy.verify({ headers: req.headers, body, now: Date.now(), toleranceMs: 300_000 });
        verified.push(JSON.parse(body.toString()) as { type: string; data: AlertNotice });
        answer(req, res, body);
      });
    });
    receiver.listen(0, '127.0.0.1');
    await once(receiver, 'listening');
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/alerts`;
    // The receiver listens on loopback: the test-only exemption of the SSRF-safe client.
    client = new OutboundClient({
      allowedHosts: [{ host: '127.0.0.1', allowHttp: true }],
      allowPrivateNetworks: ['127.0.0.1/32'],
    });
  });
  afterEach(() => {
    verified.length = 0;
    for (const res of held.splice(0)) res.writeHead(204).end();
  });
  afterAll(async () => {
    await client.close();
    receiver.close();
  });

  const delivery = () =>
    new WebhookDelivery({ client, signer: new StandardWebhookSigner([SECRET]), maxAttempts: 2, baseDelayMs: 10 });

  async function until(condition: () => boolean): Promise<void> {
    for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 25));
    expect(condition()).toBe(true);
  }

  it('posts firing and resolved notices as signed webhooks', async () => {
    answer = (_req, res) => res.writeHead(204).end();
    const handler = webhookAlerts({ delivery: delivery(), url });
    await handler(notice('firing'));
    await handler(notice('resolved'));
    await until(() => verified.length === 2);
    expect(verified.map((v) => v.type).sort()).toEqual(['rampart.alert.firing', 'rampart.alert.resolved']);
    expect(verified.find((v) => v.type === 'rampart.alert.firing')?.data).toMatchObject({
      rule: 'credential_stuffing',
      group: '203.0.113.7',
      count: 12,
    });
  });

  it('never waits for the receiver, and drops notices past its bound instead of queueing them', async () => {
    // The receiver takes every request and answers none (until the test ends).
    answer = (_req, res) => held.push(res);
    const handler = webhookAlerts({ delivery: delivery(), url, maxPending: 2 });
    for (let i = 0; i < 5; i++) expect(handler(notice('firing', `198.51.100.${i}`))).toBeUndefined();
    await until(() => verified.length === 2);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(verified.map((v) => v.data.group).sort()).toEqual(['198.51.100.0', '198.51.100.1']);
  });
});
