import { constantTimeEqual, declareSecurityState, ReplayCache, type Store } from '@rampart/core';
import { calculateJwkThumbprint, EmbeddedJWK, errors, jwtVerify, type JWK } from 'jose';
import { createHash } from 'node:crypto';

/**
 * Algorithms accepted for DPoP proofs by default (RFC 9449 §5.1 `dpop_signing_alg_values_supported`):
 * asymmetric only, since a proof is verified with the public key it carries.
 * @publicApi
 */
export const DPOP_ALGORITHMS: readonly string[] = Object.freeze(['ES256', 'EdDSA', 'PS256', 'RS256']);

/** Algorithms a DPoP proof may ever use: an HMAC or `none` "proof" proves no key. */
export const DPOP_ALLOWED_ALGORITHMS: readonly string[] = Object.freeze([
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
  'PS256',
  'PS384',
  'PS512',
  'RS256',
  'RS384',
  'RS512',
]);

// Seen proof `jti`s and the nonce secret are the replay defence: counters must not evict them.
declareSecurityState('dpop', (key) => key.startsWith('dpop:'));

/** The JOSE `typ` of a DPoP proof (RFC 9449 §4.2): no other JWT can be passed off as one. */
const DPOP_TYP = 'dpop+jwt';
/** An RSA-4096 key in the header still fits; a megabyte does not reach the parser. */
const MAX_PROOF_LENGTH = 8192;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** Why a proof was refused: the `reason` of the security event, never sent to the client. */
export type DpopFailureReason =
  | 'dpop_proof_missing'
  | 'dpop_proof_repeated'
  | 'dpop_proof_malformed'
  | 'dpop_proof_invalid'
  | 'dpop_algorithm_not_allowed'
  | 'dpop_htm_mismatch'
  | 'dpop_htu_mismatch'
  | 'dpop_iat_out_of_window'
  | 'dpop_ath_mismatch'
  | 'dpop_replayed'
  | 'dpop_nonce_missing'
  | 'dpop_nonce_invalid'
  | 'dpop_key_mismatch';

/** A refused DPoP proof. `useNonce`: the answer is `use_dpop_nonce` with a fresh `DPoP-Nonce`. @publicApi */
export class DpopProofError extends Error {
  constructor(
    readonly reason: DpopFailureReason,
    readonly useNonce = false,
  ) {
    super(reason);
    this.name = 'DpopProofError';
  }
}

/** What a valid proof establishes. @publicApi */
export interface VerifiedDpopProof {
  /** RFC 7638 SHA-256 thumbprint of the proof's key: the `cnf.jkt` a token is bound to. */
  readonly jkt: string;
  readonly jti: string;
}

/** What one request's proof must match. */
export interface DpopProofExpectation {
  /** The request's method. */
  readonly htm: string;
  /** The request's URL; compared without query and fragment (RFC 9449 §4.3). */
  readonly htu: string;
  /** The access token sent with the proof (a resource request): `ath` must be its hash. */
  readonly accessToken?: string;
  /** The `cnf.jkt` of that token: the proof must be signed with that very key. */
  readonly jkt?: string;
  /** When given, the proof must carry a nonce this accepts (RFC 9449 §8/§9). */
  readonly nonce?: (nonce: string) => Promise<boolean>;
}

export interface DpopVerifierOptions {
  readonly algorithms: readonly string[];
  /** How old a proof may be (`iat`), and so how long its `jti` is remembered. */
  readonly maxAgeSeconds: number;
  readonly clockToleranceSeconds: number;
}

/** `ath` (RFC 9449 §4.2): base64url SHA-256 of the access token's ASCII. */
export function accessTokenHash(token: string): string {
  return createHash('sha256').update(token, 'ascii').digest('base64url');
}

/** Scheme, host and path of a URL, as RFC 9449 §4.3 compares `htu`; undefined when not a URL. */
function comparableUrl(value: string): string | undefined {
  try {
    const url = new URL(value);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
    return `${url.protocol}//${url.host}${url.pathname}`;
  } catch {
    return undefined;
  }
}

const shortString = (value: unknown, max = 256): value is string =>
  typeof value === 'string' && value.length > 0 && value.length <= max;

/**
 * Verifies DPoP proofs (RFC 9449 §4.3) with jose: one compact JWS of `typ` `dpop+jwt`, signed
 * with an allowlisted asymmetric algorithm by the public `jwk` in its header; `htm`/`htu` of this
 * request, `iat` within the window, `ath` of the token it comes with, and a `jti` seen once (in the
 * Store, so a proof replayed to another instance is refused too). Shared by the authorization
 * server's token endpoint and the resource-server guard.
 * @publicApi
 */
export class DpopProofVerifier {
  private readonly seen: ReplayCache;

  constructor(
    store: Store,
    private readonly options: DpopVerifierOptions,
  ) {
    this.seen = new ReplayCache(store, 'dpop:jti:');
  }

  /** The `DPoP` header of a request: exactly one (RFC 9449 §4.3 check 1). */
  static headerOf(headers: Record<string, string | string[] | undefined>): string | undefined {
    const value = headers.dpop;
    if (Array.isArray(value)) throw new DpopProofError('dpop_proof_repeated');
    return value;
  }

  async verify(proof: string | undefined, expected: DpopProofExpectation): Promise<VerifiedDpopProof> {
    if (proof === undefined || proof === '') throw new DpopProofError('dpop_proof_missing');
    if (proof.length > MAX_PROOF_LENGTH || !COMPACT_JWS.test(proof)) throw new DpopProofError('dpop_proof_malformed');
    let jwk: JWK;
    let payload: Record<string, unknown>;
    try {
      const result = await jwtVerify(proof, EmbeddedJWK, {
        typ: DPOP_TYP,
        algorithms: [...this.options.algorithms],
      });
      // EmbeddedJWK verified the signature with this very key (and refused a private one).
      jwk = result.protectedHeader.jwk as JWK;
      payload = result.payload;
    } catch (error) {
      if (error instanceof errors.JOSEAlgNotAllowed) throw new DpopProofError('dpop_algorithm_not_allowed');
      throw new DpopProofError('dpop_proof_invalid');
    }
    const { htm, htu, iat, jti, ath, nonce } = payload;
    if (!shortString(jti) || !shortString(htm, 16) || !shortString(htu, 4096) || typeof iat !== 'number') {
      throw new DpopProofError('dpop_proof_malformed');
    }
    if (htm !== expected.htm.toUpperCase()) throw new DpopProofError('dpop_htm_mismatch');
    const presentedUrl = comparableUrl(htu);
    if (presentedUrl === undefined || presentedUrl !== comparableUrl(expected.htu)) {
      throw new DpopProofError('dpop_htu_mismatch');
    }
    const now = Date.now() / 1000;
    const { maxAgeSeconds, clockToleranceSeconds } = this.options;
    if (iat > now + clockToleranceSeconds || iat < now - maxAgeSeconds - clockToleranceSeconds) {
      throw new DpopProofError('dpop_iat_out_of_window');
    }
    if (expected.accessToken !== undefined) {
      if (typeof ath !== 'string' || !constantTimeEqual(ath, accessTokenHash(expected.accessToken))) {
        throw new DpopProofError('dpop_ath_mismatch');
      }
    }
    const jkt = await calculateJwkThumbprint(jwk, 'sha256');
    if (expected.jkt !== undefined && !constantTimeEqual(jkt, expected.jkt)) {
      throw new DpopProofError('dpop_key_mismatch');
    }
    if (expected.nonce) {
      if (nonce === undefined) throw new DpopProofError('dpop_nonce_missing', true);
      if (!shortString(nonce) || !(await expected.nonce(nonce))) throw new DpopProofError('dpop_nonce_invalid', true);
    }
    // Last, so a proof refused for another reason does not burn its jti. Remembered for as long
    // as its iat keeps it acceptable; per key, so one client cannot pre-empt another's jti.
    const windowMs = (maxAgeSeconds + 2 * clockToleranceSeconds) * 1000;
    if (!(await this.seen.claim(`${jkt}:${jti}`, windowMs))) throw new DpopProofError('dpop_replayed');
    return { jkt, jti };
  }
}
