import { timingSafeEqual } from 'node:crypto';

/**
 * Compares two secrets (signatures, digests, tokens) in time that depends only on their length,
 * never on where they first differ, so a caller cannot recover a valid value byte by byte from
 * response times (a timing side channel). Strings are compared as UTF-8. Different lengths are
 * unequal; the time still spends one full comparison, and only the length can leak, which is
 * public for the fixed-size digests this is meant for.
 * @publicApi
 * @example
 * if (!constantTimeEqual(expectedSignature, presentedSignature)) throw new UnauthorizedError();
 */
export function constantTimeEqual(a: string | Uint8Array, b: string | Uint8Array): boolean {
  const left = typeof a === 'string' ? Buffer.from(a, 'utf8') : a;
  const right = typeof b === 'string' ? Buffer.from(b, 'utf8') : b;
  if (left.length !== right.length) {
    timingSafeEqual(left, left);
    return false;
  }
  return timingSafeEqual(left, right);
}
