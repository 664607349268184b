import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';

/**
 * Standard Webhooks key formats (spec, "Signature scheme"): `whsec_` + base64 of 24 to 64 random
 * bytes for HMAC-SHA256, `whpk_` / `whsk_` + base64 of a raw ed25519 public key / 32-byte seed.
 */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** DER prefixes that wrap a raw 32-byte ed25519 key as SPKI (public) and PKCS#8 (private). */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** Why a key was refused; the key itself is never part of the message. */
export class InvalidWebhookKeyError extends Error {}

function decode(value: string, prefix: string, what: string): Buffer {
  if (typeof value !== 'string') throw new InvalidWebhookKeyError(`${what} must be a string.`);
  const text = value.startsWith(prefix) ? value.slice(prefix.length) : value;
  if (text.length === 0 || !BASE64.test(text)) {
    throw new InvalidWebhookKeyError(`${what} must be ${prefix} followed by standard base64.`);
  }
  return Buffer.from(text, 'base64');
}

/** The HMAC key of a `whsec_` secret. */
export function decodeSymmetricSecret(value: string, what: string): Buffer {
  const key = decode(value, 'whsec_', what);
  if (key.length < 24 || key.length > 64) {
    // The spec's bounds: at least 192 bits, so the key cannot be guessed offline from a signature.
    throw new InvalidWebhookKeyError(`${what} must decode to 24 to 64 bytes (got ${key.length}).`);
  }
  return key;
}

/** The ed25519 public key of a `whpk_` key. */
export function decodePublicKey(value: string, what: string): KeyObject {
  const raw = decode(value, 'whpk_', what);
  if (raw.length !== 32) throw new InvalidWebhookKeyError(`${what} must decode to a 32-byte ed25519 public key.`);
  return createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

/** The ed25519 private key of a `whsk_` key (its 32-byte seed). */
export function decodePrivateKey(value: string, what: string): KeyObject {
  const seed = decode(value, 'whsk_', what);
  if (seed.length !== 32) throw new InvalidWebhookKeyError(`${what} must decode to a 32-byte ed25519 seed.`);
  return createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}
