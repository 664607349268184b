import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifierMatches } from './pkce';

describe('verifierMatches (S256)', () => {
  const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
  const challenge = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'; // RFC 7636 Appendix B

  it('accepts the RFC 7636 example and refuses anything else', () => {
    expect(verifierMatches(verifier, challenge)).toBe(true);
    expect(verifierMatches(`${verifier.slice(0, -1)}l`, challenge)).toBe(false);
    // `plain`: the challenge itself as verifier.
    expect(verifierMatches(challenge, challenge)).toBe(false);
    expect(verifierMatches('short', createHash('sha256').update('short').digest('base64url'))).toBe(false);
    expect(verifierMatches('a'.repeat(129), challenge)).toBe(false);
  });
});
