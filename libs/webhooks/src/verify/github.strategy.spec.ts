import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { GitHubStrategy } from './github.strategy';
import { WebhookVerificationError, type WebhookRequest } from './webhook-strategy';

const SECRET = 'It is a secret to everybody, 2026';
const BODY = '{"zen":"Keep it logically awesome.","hook_id":1}';
const sign = (body: string, secret = SECRET) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

function request(headers: Record<string, string>, body = BODY): WebhookRequest {
  return { headers, body: Buffer.from(body), now: Date.now(), toleranceMs: 300_000 };
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

describe('GitHubStrategy', () => {
  const strategy = new GitHubStrategy([SECRET]);

  it('accepts an X-Hub-Signature-256 computed with Node crypto, and reports the delivery id', () => {
    const verified = strategy.verify(
      request({ 'x-hub-signature-256': sign(BODY), 'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958' }),
    );
    expect(verified.id).toBe('72d3162e-cc78-11e3-81ab-4c9367dc0958');
    expect(verified.timestamp).toBeUndefined();
  });

  it('refuses a changed body, a retired secret, and SHA-1 or malformed signatures', () => {
    expect(reason(() => strategy.verify(request({ 'x-hub-signature-256': sign(BODY) }, `${BODY} `)))).toBe(
      'signature_mismatch',
    );
    expect(
      reason(() => strategy.verify(request({ 'x-hub-signature-256': sign(BODY, 'the retired secret, 2025') }))),
    ).toBe('signature_mismatch');
    const sha1 = `sha1=${createHmac('sha1', SECRET).update(BODY).digest('hex')}`;
    for (const header of [sha1, 'sha256=', sign(BODY).toUpperCase(), `${sign(BODY)}00`]) {
      expect(reason(() => strategy.verify(request({ 'x-hub-signature-256': header })))).toBe('malformed_header');
    }
    expect(reason(() => strategy.verify(request({ 'x-hub-signature': sha1 })))).toBe('missing_header');
  });

  it('accepts both secrets while one is rotated', () => {
    const rotating = new GitHubStrategy(['the new secret, 2026 edition', SECRET]);
    expect(() => rotating.verify(request({ 'x-hub-signature-256': sign(BODY) }))).not.toThrow();
  });
});
