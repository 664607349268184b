import { createHmac, randomBytes, sign as signEd25519, type KeyObject } from 'node:crypto';
import { decodePrivateKey, decodeSymmetricSecret } from '../verify/webhook-keys';

/** The three Standard Webhooks headers of one delivery attempt. @publicApi */
export interface StandardWebhookHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/** One message to sign. @publicApi */
export interface WebhookMessageToSign {
  /** Stays the same across retries of the message: receivers deduplicate on it. */
  id: string;
  /** The exact bytes that will be sent. */
  body: string | Uint8Array;
  /** Unix seconds of this attempt. @default now */
  timestamp?: number;
}

type SigningKey = { version: 'v1'; key: Buffer } | { version: 'v1a'; key: KeyObject };

const MESSAGE_ID = /^[\x21-\x2d\x2f-\x7e]{1,256}$/;

/**
 * Signs outgoing webhooks the Standard Webhooks way: `v1` (HMAC-SHA256) with `whsec_` secrets,
 * `v1a` (ed25519) with `whsk_` keys, one signature per key so receivers can rotate.
 * @publicApi
 * @example
 * const signer = new StandardWebhookSigner([process.env.WEBHOOK_SIGNING_SECRET]);
 * const headers = signer.sign({ id: newWebhookMessageId(), body: JSON.stringify(event) });
 */
export class StandardWebhookSigner {
  private readonly keys: readonly SigningKey[];

  /** @throws InvalidWebhookKeyError for a key that is neither a valid `whsec_` nor `whsk_` key. */
  constructor(keys: readonly string[]) {
    if (keys.length === 0) throw new RangeError('A StandardWebhookSigner needs at least one key.');
    this.keys = keys.map((key, i) =>
      key.startsWith('whsk_')
        ? { version: 'v1a', key: decodePrivateKey(key, `keys[${i}]`) }
        : { version: 'v1', key: decodeSymmetricSecret(key, `keys[${i}]`) },
    );
  }

  sign(message: WebhookMessageToSign): StandardWebhookHeaders {
    if (!MESSAGE_ID.test(message.id)) {
      throw new RangeError('A webhook id is 1 to 256 visible ASCII characters without "." (Standard Webhooks).');
    }
    const timestamp = String(message.timestamp ?? Math.floor(Date.now() / 1000));
    const signed = Buffer.concat([Buffer.from(`${message.id}.${timestamp}.`), Buffer.from(message.body)]);
    const signatures = this.keys.map(({ version, key }) =>
      version === 'v1'
        ? `v1,${createHmac('sha256', key).update(signed).digest('base64')}`
        : `v1a,${signEd25519(null, signed, key).toString('base64')}`,
    );
    return { 'webhook-id': message.id, 'webhook-timestamp': timestamp, 'webhook-signature': signatures.join(' ') };
  }
}

/** A new message id: `msg_` and 128 random bits. @publicApi */
export function newWebhookMessageId(): string {
  return `msg_${randomBytes(16).toString('base64url')}`;
}

/** A new `whsec_` secret of 32 random bytes, to give a receiving endpoint. @publicApi */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}
