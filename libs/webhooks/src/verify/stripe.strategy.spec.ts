import { createHmac } from 'node:crypto';
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { StripeStrategy } from './stripe.strategy';
import { WebhookVerificationError, type WebhookRequest } from './webhook-strategy';

// Headers made by Stripe's own SDK (`stripe.webhooks.generateTestHeaderString`), not by Rampart.
const stripe = new Stripe('sk_test_unused');
const SECRET = 'whsec_test_9f3c1a7e5b2d4c6a8e0f1b3d5c7a9e1f';
const OLD_SECRET = 'whsec_test_retired_0a1b2c3d4e5f6a7b8c9d';
const BODY = JSON.stringify({ id: 'evt_1', object: 'event', type: 'invoice.paid' }, null, 2);

function request(header: string | undefined, body = BODY, now = Date.now()): WebhookRequest {
  return {
    headers: header === undefined ? {} : { 'stripe-signature': header },
    body: Buffer.from(body),
    now,
    toleranceMs: 300_000,
  };
}

function reason(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof WebhookVerificationError) return error.reason;
    throw error;
  }
  return undefined;
}

describe('StripeStrategy', () => {
  const strategy = new StripeStrategy([SECRET]);
  const now = () => Math.floor(Date.now() / 1000);

  it("accepts a header from Stripe's SDK and refuses a one-byte change of the body", () => {
    const header = stripe.webhooks.generateTestHeaderString({ payload: BODY, secret: SECRET, timestamp: now() });
    expect(strategy.verify(request(header)).timestamp).toBeGreaterThan(0);
    expect(reason(() => strategy.verify(request(header, BODY.replace('paid', 'paiD'))))).toBe('signature_mismatch');
  });

  it('accepts the old and the new secret during rotation, and refuses the old one once retired', () => {
    const old = stripe.webhooks.generateTestHeaderString({ payload: BODY, secret: OLD_SECRET, timestamp: now() });
    expect(() => new StripeStrategy([SECRET, OLD_SECRET]).verify(request(old))).not.toThrow();
    expect(reason(() => strategy.verify(request(old)))).toBe('signature_mismatch');
  });

  it('finds the valid v1 among several, as Stripe sends during its own secret rotation', () => {
    const t = now();
    const valid = createHmac('sha256', SECRET).update(`${t}.${BODY}`).digest('hex');
    const header = `t=${t},v1=${'0'.repeat(64)},v1=${valid},v0=${'1'.repeat(64)}`;
    expect(() => strategy.verify(request(header))).not.toThrow();
  });

  it('refuses a timestamp 6 minutes old even with a valid signature', () => {
    const header = stripe.webhooks.generateTestHeaderString({ payload: BODY, secret: SECRET, timestamp: now() - 360 });
    expect(reason(() => strategy.verify(request(header)))).toBe('timestamp_out_of_tolerance');
  });

  it('answers missing and malformed headers as such', () => {
    expect(reason(() => strategy.verify(request(undefined)))).toBe('missing_header');
    const t = now();
    for (const header of [
      'garbage',
      `t=${t}`,
      `v1=${'a'.repeat(64)}`,
      `t=${t},v1=xyz`,
      `t=${t},t=${t},v1=${'a'.repeat(64)}`,
      `t=soon,v1=${'a'.repeat(64)}`,
    ]) {
      expect(reason(() => strategy.verify(request(header)))).toBe('malformed_header');
    }
  });

  it('keys replays on the signed timestamp and body, whichever secret signed them', () => {
    const t = now();
    const one = strategy.verify(
      request(stripe.webhooks.generateTestHeaderString({ payload: BODY, secret: SECRET, timestamp: t })),
    );
    const both = new StripeStrategy([OLD_SECRET, SECRET]);
    const two = both.verify(
      request(stripe.webhooks.generateTestHeaderString({ payload: BODY, secret: OLD_SECRET, timestamp: t })),
    );
    expect(one.replayKey).toBe(two.replayKey);
  });

  it('refuses to start without a secret or with a short one', () => {
    expect(() => new StripeStrategy([])).toThrow(/at least one secret/);
    expect(() => new StripeStrategy(['whsec_short'])).toThrow(/at least 16/);
  });
});
