import { createHmac, createPrivateKey, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { StandardWebhooksStrategy } from './standard-webhooks.strategy';
import { WebhookVerificationError, type WebhookRequest } from './webhook-strategy';

/**
 * Published test vectors of the Standard Webhooks reference libraries
 * (github.com/standard-webhooks/standard-webhooks): `libraries/javascript/src/webhook.test.ts`,
 * "sign function works" (v1), and `libraries/go/webhook_asymmetric_test.go`,
 * TestAsymmetricWebhookSign (v1a, the key being the base64 ed25519 seed).
 */
const VECTOR = {
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  v1: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
  ed25519Seed: 'VEVTVFNJR05JTkdLRVlET05PVFVTRVRISVNGT1JBTlk=',
  v1a: 'v1a,tQ9V2XOqn7jL/DQenEFpqIugdBVtiMmER5mhSkXBNwM0mkATuDe6KYYUuxqtaiHeYGb7KaaBRdM5WqyeFiL8Ag==',
};

/** The vector key's public half, derived with Node's crypto from the seed (PKCS#8 wrapping). */
function vectorPublicKey(): string {
  const der = Buffer.concat([
    Buffer.from('302e020100300506032b657004220420', 'hex'),
    Buffer.from(VECTOR.ed25519Seed, 'base64'),
  ]);
  const spki = createPublicKey(createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })).export({
    format: 'der',
    type: 'spki',
  });
  return `whpk_${spki.subarray(-32).toString('base64')}`;
}

function request(headers: Record<string, string>, body = VECTOR.body, now = VECTOR.timestamp * 1000): WebhookRequest {
  return { headers, body: Buffer.from(body), now, toleranceMs: 300_000 };
}

function vectorHeaders(signature: string): Record<string, string> {
  return { 'webhook-id': VECTOR.id, 'webhook-timestamp': String(VECTOR.timestamp), 'webhook-signature': signature };
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

describe('StandardWebhooksStrategy', () => {
  const symmetric = new StandardWebhooksStrategy({ secrets: [VECTOR.secret] });

  it('accepts the published v1 vector and reports the signed id and timestamp', () => {
    const verified = symmetric.verify(request(vectorHeaders(VECTOR.v1)));
    expect(verified).toMatchObject({ id: VECTOR.id, timestamp: VECTOR.timestamp, replayKey: VECTOR.id });
  });

  it('accepts the published v1a (ed25519) vector with the public key of its seed', () => {
    const asymmetric = new StandardWebhooksStrategy({ publicKeys: [vectorPublicKey()] });
    expect(asymmetric.verify(request(vectorHeaders(VECTOR.v1a))).id).toBe(VECTOR.id);
    // A v1a signature is no use against HMAC secrets, and the reverse.
    expect(reason(() => symmetric.verify(request(vectorHeaders(VECTOR.v1a))))).toBe('signature_mismatch');
    expect(reason(() => asymmetric.verify(request(vectorHeaders(VECTOR.v1))))).toBe('signature_mismatch');
  });

  it('refuses the vector with one byte of the body changed, or with another id or timestamp', () => {
    expect(reason(() => symmetric.verify(request(vectorHeaders(VECTOR.v1), '{"test": 2432232315}')))).toBe(
      'signature_mismatch',
    );
    const otherId = { ...vectorHeaders(VECTOR.v1), 'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJeK' };
    expect(reason(() => symmetric.verify(request(otherId)))).toBe('signature_mismatch');
    const otherTime = { ...vectorHeaders(VECTOR.v1), 'webhook-timestamp': String(VECTOR.timestamp + 1) };
    expect(reason(() => symmetric.verify(request(otherTime)))).toBe('signature_mismatch');
  });

  it('accepts any current key (rotation) and finds the valid entry among several signatures', () => {
    const rotated = new StandardWebhooksStrategy({
      secrets: [`whsec_${Buffer.alloc(32, 7).toString('base64')}`, VECTOR.secret],
    });
    const list = `v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= ${VECTOR.v1}`;
    expect(rotated.verify(request(vectorHeaders(list))).id).toBe(VECTOR.id);
  });

  it('refuses a signature made with a secret that is no longer configured (retired)', () => {
    const current = new StandardWebhooksStrategy({ secrets: [`whsec_${Buffer.alloc(32, 9).toString('base64')}`] });
    expect(reason(() => current.verify(request(vectorHeaders(VECTOR.v1))))).toBe('signature_mismatch');
  });

  it('refuses timestamps outside the tolerance both ways, and accepts inside it', () => {
    const at = (offsetMs: number) => request(vectorHeaders(VECTOR.v1), VECTOR.body, VECTOR.timestamp * 1000 + offsetMs);
    expect(reason(() => symmetric.verify(at(6 * 60_000)))).toBe('timestamp_out_of_tolerance');
    expect(reason(() => symmetric.verify(at(-6 * 60_000)))).toBe('timestamp_out_of_tolerance');
    expect(symmetric.verify(at(4 * 60_000)).replayWindowMs).toBeGreaterThanOrEqual(60_000);
  });

  it('remembers a message until its timestamp leaves the tolerance', () => {
    const fresh = symmetric.verify(request(vectorHeaders(VECTOR.v1)));
    expect(fresh.replayWindowMs).toBeGreaterThanOrEqual(300_000);
    expect(fresh.replayWindowMs).toBeLessThanOrEqual(302_000);
  });

  it('answers missing and malformed headers as such, before any signature check', () => {
    for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) {
      const headers = Object.fromEntries(Object.entries(vectorHeaders(VECTOR.v1)).filter(([key]) => key !== name));
      expect(reason(() => symmetric.verify(request(headers)))).toBe('missing_header');
    }
    const malformed: Record<string, string>[] = [
      { 'webhook-timestamp': 'hello' },
      { 'webhook-timestamp': '1614265330.5' },
      { 'webhook-signature': 'v1,' },
      { 'webhook-signature': 'g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=' },
      { 'webhook-signature': 'v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=' },
      { 'webhook-signature': Array(17).fill(VECTOR.v1).join(' ') },
      // "." delimits the signed fields: an id holding one could shift bytes between them.
      { 'webhook-id': 'msg.1' },
    ];
    for (const override of malformed) {
      expect(reason(() => symmetric.verify(request({ ...vectorHeaders(VECTOR.v1), ...override })))).toBe(
        'malformed_header',
      );
    }
    // A truncated signature is well-formed base64 that matches nothing.
    expect(reason(() => symmetric.verify(request(vectorHeaders(VECTOR.v1.slice(0, 12)))))).toBe('signature_mismatch');
  });

  it('verifies a signature computed with Node crypto over the raw bytes, not re-serialised JSON', () => {
    const key = Buffer.alloc(32, 3);
    const strategy = new StandardWebhooksStrategy({ secrets: [`whsec_${key.toString('base64')}`] });
    const body = '{ "b": 1,\n  "a": 2 }';
    const now = Date.now();
    const timestamp = Math.floor(now / 1000);
    const signature = createHmac('sha256', key).update(`msg_1.${timestamp}.${body}`).digest('base64');
    const headers = {
      'webhook-id': 'msg_1',
      'webhook-timestamp': String(timestamp),
      'webhook-signature': `v1,${signature}`,
    };
    expect(strategy.verify(request(headers, body, now)).id).toBe('msg_1');
    expect(reason(() => strategy.verify(request(headers, JSON.stringify(JSON.parse(body)), now)))).toBe(
      'signature_mismatch',
    );
  });

  it('verifies an ed25519 signature made with Node crypto from a fresh key pair', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
    const strategy = new StandardWebhooksStrategy({ publicKeys: [`whpk_${raw.toString('base64')}`] });
    const now = Date.now();
    const timestamp = String(Math.floor(now / 1000));
    const signature = sign(null, Buffer.from(`msg_2.${timestamp}.{}`), privateKey).toString('base64');
    const headers = { 'webhook-id': 'msg_2', 'webhook-timestamp': timestamp, 'webhook-signature': `v1a,${signature}` };
    expect(strategy.verify(request(headers, '{}', now)).id).toBe('msg_2');
  });

  it('refuses keys that are too short or not base64 when it is built, without echoing them', () => {
    expect(() => new StandardWebhooksStrategy({ secrets: ['whsec_c2hvcnQ='] })).toThrow(/24 to 64 bytes/);
    expect(() => new StandardWebhooksStrategy({ secrets: ['whsec_not base64!'] })).toThrow(/base64/);
    expect(() => new StandardWebhooksStrategy({ publicKeys: ['whpk_AAAA'] })).toThrow(/32-byte/);
    try {
      new StandardWebhooksStrategy({ secrets: ['whsec_c2hvcnQ='] });
    } catch (error) {
      expect((error as Error).message).not.toContain('c2hvcnQ');
    }
  });
});
