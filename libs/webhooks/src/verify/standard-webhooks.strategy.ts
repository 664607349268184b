import { constantTimeEqual } from '@rampart/core';
import { createHmac, verify as verifySignature, type KeyObject } from 'node:crypto';
import { decodePublicKey, decodeSymmetricSecret } from './webhook-keys';
import {
  checkTimestamp,
  requireHeader,
  WebhookVerificationError,
  type VerifiedWebhook,
  type WebhookRequest,
  type WebhookStrategy,
} from './webhook-strategy';

/** Keys of a Standard Webhooks endpoint. @publicApi */
export interface StandardWebhooksKeys {
  /** `whsec_…` secrets for `v1` (HMAC-SHA256) signatures; several while one is rotated out. */
  secrets?: readonly string[];
  /** `whpk_…` ed25519 public keys for `v1a` signatures. */
  publicKeys?: readonly string[];
}

/**
 * The spec forbids `.` in the id: it is the delimiter of the signed content `id.timestamp.body`,
 * so an id containing one could move bytes between the fields of a signed message.
 */
const MESSAGE_ID = /^[\x21-\x2d\x2f-\x7e]{1,256}$/;
const ENTRY = /^(v1a?),([A-Za-z0-9+/]+={0,2})$/;
/** Each entry costs an HMAC or an ed25519 check per key: a long list is work an attacker chooses. */
const MAX_SIGNATURES = 16;

/**
 * [Standard Webhooks](https://www.standardwebhooks.com/) 1.0: `webhook-id`, `webhook-timestamp`
 * and `webhook-signature` (space-separated `v1,<base64 HMAC-SHA256>` / `v1a,<base64 ed25519>`)
 * over `id.timestamp.body`.
 * @publicApi
 * @example
 * new StandardWebhooksStrategy({ secrets: [process.env.WEBHOOK_SECRET, process.env.WEBHOOK_SECRET_PREVIOUS] })
 */
export class StandardWebhooksStrategy implements WebhookStrategy {
  readonly scheme = 'standard-webhooks';
  private readonly hmacKeys: readonly Buffer[];
  private readonly publicKeys: readonly KeyObject[];

  /** @throws InvalidWebhookKeyError for a key in the wrong format or too short. */
  constructor(keys: StandardWebhooksKeys) {
    this.hmacKeys = (keys.secrets ?? []).map((secret, i) => decodeSymmetricSecret(secret, `secrets[${i}]`));
    this.publicKeys = (keys.publicKeys ?? []).map((key, i) => decodePublicKey(key, `publicKeys[${i}]`));
  }

  verify(request: WebhookRequest): VerifiedWebhook {
    const { headers } = request;
    const id = requireHeader(headers, 'webhook-id');
    const timestampText = requireHeader(headers, 'webhook-timestamp');
    const signatures = parseSignatures(requireHeader(headers, 'webhook-signature'));
    if (!MESSAGE_ID.test(id)) {
      throw new WebhookVerificationError(
        'malformed_header',
        'The webhook-id must be 1 to 256 visible ASCII characters without "."',
      );
    }
    const { timestamp, replayWindowMs } = checkTimestamp(timestampText, 'webhook-timestamp', request);
    const signed = Buffer.concat([Buffer.from(`${id}.${timestampText}.`), request.body]);
    if (!this.matches(signed, signatures)) {
      throw new WebhookVerificationError(
        'signature_mismatch',
        'No signature in webhook-signature matches a current key.',
      );
    }
    return { id, timestamp, replayKey: id, replayWindowMs };
  }

  private matches(signed: Buffer, signatures: readonly Signature[]): boolean {
    const v1 = signatures.filter((s) => s.version === 'v1');
    if (v1.length > 0) {
      for (const key of this.hmacKeys) {
        const expected = createHmac('sha256', key).update(signed).digest();
        if (v1.some((s) => constantTimeEqual(expected, s.bytes))) return true;
      }
    }
    for (const s of signatures) {
      if (s.version !== 'v1a' || s.bytes.length !== 64) continue;
      if (this.publicKeys.some((key) => verifySignature(null, signed, key, s.bytes))) return true;
    }
    return false;
  }
}

interface Signature {
  version: 'v1' | 'v1a';
  bytes: Buffer;
}

function parseSignatures(header: string): Signature[] {
  const entries = header.split(' ').filter((entry) => entry !== '');
  if (entries.length > MAX_SIGNATURES) {
    throw new WebhookVerificationError(
      'malformed_header',
      `Send at most ${MAX_SIGNATURES} signatures in webhook-signature.`,
    );
  }
  const signatures: Signature[] = [];
  for (const entry of entries) {
    // Other versions are skipped, not refused: the spec lets a sender add schemes a receiver ignores.
    const match = ENTRY.exec(entry);
    if (match?.[1] && match[2]) {
      signatures.push({ version: match[1] as Signature['version'], bytes: Buffer.from(match[2], 'base64') });
    }
  }
  if (signatures.length === 0) {
    throw new WebhookVerificationError(
      'malformed_header',
      'The webhook-signature header holds no v1,<base64> or v1a,<base64> signature.',
    );
  }
  return signatures;
}
