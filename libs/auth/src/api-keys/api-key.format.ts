import { constantTimeEqual } from '@rampart/core';
import { createHash, randomBytes } from 'node:crypto';

/**
 * Key layout: `<prefix>_<id>_<secret>`, e.g. `rk_3f9c0a1b2c3d4e5f_<43 chars>`.
 * - the prefix makes a leaked key recognisable to secret scanners and people;
 * - the id (64 random bits, hex) is not a secret: it finds the record without comparing secrets;
 * - the secret is 256 random bits, base64url.
 */
const ID_BYTES = 8;
const SECRET_BYTES = 32;

export interface ParsedApiKey {
  id: string;
  /** The whole key, as presented: it is what gets hashed. */
  key: string;
}

export function newApiKeyId(): string {
  return randomBytes(ID_BYTES).toString('hex');
}

export function newApiKey(prefix: string, id: string): string {
  return `${prefix}_${id}_${randomBytes(SECRET_BYTES).toString('base64url')}`;
}

/** A parser for keys of `prefix`; anchored, fixed-length parts, so matching is linear. */
export function apiKeyParser(prefix: string): (presented: string) => ParsedApiKey | undefined {
  const pattern = new RegExp(`^${prefix}_([0-9a-f]{${ID_BYTES * 2}})_[A-Za-z0-9_-]{43}$`);
  const maxLength = prefix.length + 2 + ID_BYTES * 2 + 43;
  return (presented) => {
    if (presented.length !== maxLength) return undefined;
    const match = pattern.exec(presented);
    return match?.[1] === undefined ? undefined : { id: match[1], key: presented };
  };
}

/**
 * The stored form of a key: SHA-256, base64url. A slow password hash (bcrypt, scrypt, argon2)
 * protects low-entropy secrets against guessing; a 256-bit random secret cannot be guessed, so
 * a fast hash is as safe here, and a slow one would cost ~100 ms of CPU per request: a DoS lever.
 * @publicApi
 * @example
 * await storage.insert({ ...record, hash: hashApiKey(key) });
 */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('base64url');
}

/** Constant-time comparison of two stored-form hashes (both SHA-256, so of equal length). */
export function sameHash(a: string, b: string): boolean {
  return constantTimeEqual(Buffer.from(a, 'base64url'), Buffer.from(b, 'base64url'));
}
