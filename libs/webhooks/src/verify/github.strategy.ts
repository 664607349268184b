import { constantTimeEqual } from '@rampart/core';
import { createHash, createHmac } from 'node:crypto';
import { textSecrets } from './hmac-secrets';
import {
  requireHeader,
  singleHeader,
  WebhookVerificationError,
  type VerifiedWebhook,
  type WebhookRequest,
  type WebhookStrategy,
} from './webhook-strategy';

const HEADER = 'x-hub-signature-256';
const SIGNATURE = /^sha256=([0-9a-f]{64})$/;
const DELIVERY_ID = /^[A-Za-z0-9-]{1,64}$/;

/**
 * GitHub's scheme: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`. The legacy SHA-1
 * `X-Hub-Signature` is not accepted. GitHub signs no timestamp and no delivery id, so a captured
 * delivery cannot be told from a fresh one by age: replays are refused while the body is
 * remembered (the tolerance), not after; handlers should stay idempotent on `X-GitHub-Delivery`.
 * @publicApi
 * @example
 * new GitHubStrategy([process.env.GITHUB_WEBHOOK_SECRET])
 */
export class GitHubStrategy implements WebhookStrategy {
  readonly scheme = 'github';
  private readonly keys: readonly Buffer[];

  /** @throws InvalidWebhookKeyError without a secret, or for one shorter than 16 characters. */
  constructor(secrets: readonly string[]) {
    this.keys = textSecrets(secrets, 'GitHub');
  }

  verify(request: WebhookRequest): VerifiedWebhook {
    const match = SIGNATURE.exec(requireHeader(request.headers, HEADER));
    if (!match?.[1]) {
      throw new WebhookVerificationError('malformed_header', 'X-Hub-Signature-256 must be sha256=<hex SHA-256 HMAC>.');
    }
    const signature = Buffer.from(match[1], 'hex');
    const matched = this.keys.some((key) =>
      constantTimeEqual(createHmac('sha256', key).update(request.body).digest(), signature),
    );
    if (!matched) {
      throw new WebhookVerificationError('signature_mismatch', 'X-Hub-Signature-256 does not match a current secret.');
    }
    const delivery = singleHeader(request.headers, 'x-github-delivery');
    return {
      id: delivery !== undefined && DELIVERY_ID.test(delivery) ? delivery : undefined,
      timestamp: undefined,
      replayKey: createHash('sha256').update(request.body).digest('base64url'),
      replayWindowMs: request.toleranceMs,
    };
  }
}
