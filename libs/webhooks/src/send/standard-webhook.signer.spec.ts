import { describe, expect, it } from 'vitest';
import { StandardWebhooksStrategy } from '../verify/standard-webhooks.strategy';
import { generateWebhookSecret, newWebhookMessageId, StandardWebhookSigner } from './standard-webhook.signer';

// The published Standard Webhooks vectors (see standard-webhooks.strategy.spec.ts for the source).
const ID = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
const TIMESTAMP = 1614265330;
const BODY = '{"test": 2432232314}';

describe('StandardWebhookSigner', () => {
  it('reproduces the published v1 and v1a signatures', () => {
    const signer = new StandardWebhookSigner(['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw']);
    expect(signer.sign({ id: ID, timestamp: TIMESTAMP, body: BODY })).toEqual({
      'webhook-id': ID,
      'webhook-timestamp': String(TIMESTAMP),
      'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    });
    const asymmetric = new StandardWebhookSigner(['whsk_VEVTVFNJR05JTkdLRVlET05PVFVTRVRISVNGT1JBTlk=']);
    expect(asymmetric.sign({ id: ID, timestamp: TIMESTAMP, body: BODY })['webhook-signature']).toBe(
      'v1a,tQ9V2XOqn7jL/DQenEFpqIugdBVtiMmER5mhSkXBNwM0mkATuDe6KYYUuxqtaiHeYGb7KaaBRdM5WqyeFiL8Ag==',
    );
  });

  it('signs with every key, so a receiver holding either one during rotation verifies', () => {
    const oldSecret = generateWebhookSecret();
    const newSecret = generateWebhookSecret();
    const headers = new StandardWebhookSigner([newSecret, oldSecret]).sign({ id: newWebhookMessageId(), body: '{}' });
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    const receiver = new StandardWebhooksStrategy({ secrets: [oldSecret] });
    expect(() =>
      receiver.verify({ headers: { ...headers }, body: Buffer.from('{}'), now: Date.now(), toleranceMs: 300_000 }),
    ).not.toThrow();
  });

  it('refuses ids that would be ambiguous in the signed content, and an empty key list', () => {
    const signer = new StandardWebhookSigner([generateWebhookSecret()]);
    expect(() => signer.sign({ id: 'msg.1', body: '' })).toThrow(RangeError);
    expect(() => new StandardWebhookSigner([])).toThrow(RangeError);
    expect(newWebhookMessageId()).toMatch(/^msg_[A-Za-z0-9_-]{22}$/);
  });
});
