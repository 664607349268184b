import { constantTimeEqual, type Store } from '@rampart/core';
import { createHmac, randomBytes } from 'node:crypto';

const SECRET_KEY = 'dpop:nonce-secret';
/** The secret outlives every nonce made from it by far; a new one only invalidates current nonces. */
const SECRET_TTL_MS = 30 * 24 * 3600 * 1000;

/**
 * Server-provided DPoP nonces (RFC 9449 §8): a nonce is an HMAC of the current time slot under a
 * secret kept in the Store, so every instance makes and accepts the same nonces without a write per
 * request, and a proof made before its slot (pre-computed by an attacker holding the key for a
 * while) is refused. A nonce is accepted during its slot and the next.
 * @publicApi
 */
export class DpopNonces {
  private secret: { value: Buffer; readAt: number } | undefined;

  constructor(
    private readonly store: Store,
    /** Length of a slot. @default 300 */
    private readonly slotSeconds = 300,
  ) {}

  /** The nonce to send now in `DPoP-Nonce`. */
  async current(): Promise<string> {
    return this.nonceOf(this.slot(), await this.key());
  }

  /** Whether `nonce` is this slot's or the previous one's. */
  async isValid(nonce: string): Promise<boolean> {
    const key = await this.key();
    const slot = this.slot();
    // Both compared, no early exit.
    const current = constantTimeEqual(nonce, this.nonceOf(slot, key));
    const previous = constantTimeEqual(nonce, this.nonceOf(slot - 1, key));
    return current || previous;
  }

  private slot(): number {
    return Math.floor(Date.now() / 1000 / this.slotSeconds);
  }

  private nonceOf(slot: number, key: Buffer): string {
    return createHmac('sha256', key).update(`dpop-nonce:${slot}`).digest('base64url');
  }

  /** The shared secret, read again once per slot (so a replaced secret reaches every instance). */
  private async key(): Promise<Buffer> {
    if (this.secret && Date.now() - this.secret.readAt < this.slotSeconds * 1000) return this.secret.value;
    await this.store.set(SECRET_KEY, randomBytes(32).toString('base64url'), { ttlMs: SECRET_TTL_MS, ifAbsent: true });
    const stored = await this.store.get(SECRET_KEY);
    if (stored === undefined) throw new Error('The DPoP nonce secret vanished from the Store.');
    this.secret = { value: Buffer.from(stored, 'base64url'), readAt: Date.now() };
    return this.secret.value;
  }
}
