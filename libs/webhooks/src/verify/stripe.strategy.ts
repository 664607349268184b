import { constantTimeEqual } from '@rampart/core';
import { createHash, createHmac } from 'node:crypto';
import { textSecrets } from './hmac-secrets';
import {
  checkTimestamp,
  requireHeader,
  WebhookVerificationError,
  type VerifiedWebhook,
  type WebhookRequest,
  type WebhookStrategy,
} from './webhook-strategy';

const HEADER = 'stripe-signature';
const HEX_SHA256 = /^[0-9a-f]{64}$/;
const MAX_ITEMS = 16;

/**
 * Stripe's scheme: `Stripe-Signature: t=<seconds>,v1=<hex HMAC-SHA256>[,v1=…]` over `t.body`, keyed
 * with the endpoint's signing secret (`whsec_…`, used as text). Other items (`v0`) are ignored.
 * @publicApi
 * @example
 * new StripeStrategy([process.env.STRIPE_WEBHOOK_SECRET])
 */
export class StripeStrategy implements WebhookStrategy {
  readonly scheme = 'stripe';
  private readonly keys: readonly Buffer[];

  /** @throws InvalidWebhookKeyError without a secret, or for one shorter than 16 characters. */
  constructor(secrets: readonly string[]) {
    this.keys = textSecrets(secrets, 'Stripe');
  }

  verify(request: WebhookRequest): VerifiedWebhook {
    const items = requireHeader(request.headers, HEADER).split(',');
    if (items.length > MAX_ITEMS) {
      throw new WebhookVerificationError('malformed_header', `Send at most ${MAX_ITEMS} items in Stripe-Signature.`);
    }
    const timestamps: string[] = [];
    const signatures: Buffer[] = [];
    for (const item of items) {
      const separator = item.indexOf('=');
      const name = item.slice(0, separator).trim();
      const value = item.slice(separator + 1).trim();
      if (name === 't') timestamps.push(value);
      else if (name === 'v1' && HEX_SHA256.test(value)) signatures.push(Buffer.from(value, 'hex'));
    }
    const [t] = timestamps;
    if (timestamps.length !== 1 || t === undefined || signatures.length === 0) {
      throw new WebhookVerificationError(
        'malformed_header',
        'Stripe-Signature must hold one t=<seconds> and at least one v1=<hex SHA-256 HMAC>.',
      );
    }
    const { timestamp, replayWindowMs } = checkTimestamp(t, 'Stripe-Signature timestamp', request);
    const signed = Buffer.concat([Buffer.from(`${t}.`), request.body]);
    const matched = this.keys.some((key) => {
      const expected = createHmac('sha256', key).update(signed).digest();
      return signatures.some((signature) => constantTimeEqual(expected, signature));
    });
    if (!matched) {
      throw new WebhookVerificationError(
        'signature_mismatch',
        'No v1 signature in Stripe-Signature matches a current secret.',
      );
    }
    // Stripe signs no message id (the event id is inside the body): the signed timestamp and body
    // identify the message, whichever of the rotating secrets signed it.
    const replayKey = `${t}.${createHash('sha256').update(request.body).digest('base64url')}`;
    return { id: undefined, timestamp, replayKey, replayWindowMs };
  }
}
