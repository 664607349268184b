import { Logger } from '@nestjs/common';
import { InvalidOptionsError, type Store } from '@rampart/core';
import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  importPKCS8,
  type CryptoKey,
  type JWK,
} from 'jose';

/** Signing algorithms of access tokens. ES256 is the default; RFC 9068 §2.1 requires RS256. @publicApi */
export type SigningAlgorithm = 'ES256' | 'ES384' | 'RS256' | 'PS256';
export const SIGNING_ALGORITHMS: readonly SigningAlgorithm[] = ['ES256', 'ES384', 'RS256', 'PS256'];

/**
 * A private signing key: a private JWK (its `kid` is kept, or the RFC 7638 thumbprint is used) or
 * a PKCS #8 PEM with its `kid`.
 * @publicApi
 */
export type SigningKeyInput =
  { jwk: JWK; alg?: SigningAlgorithm } | { pem: string; kid: string; alg?: SigningAlgorithm };

interface LoadedKey {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
  /** When this key first appeared in the JWKS (shared by every instance through the Store). */
  readonly publishedAt: number;
}

const SAFE_KID = /^[A-Za-z0-9._-]{1,128}$/;
const PRIVATE_MEMBERS: readonly string[] = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
/** How long the Store remembers when a key was first published. */
const PUBLISHED_RECORD_TTL_MS = 400 * 24 * 3600 * 1000;

function invalid(message: string): never {
  throw new InvalidOptionsError('AUTH_INVALID_OPTIONS', message);
}

function publicPart(jwk: JWK): JWK {
  return Object.fromEntries(Object.entries(jwk).filter(([member]) => !PRIVATE_MEMBERS.includes(member)));
}

function algorithmOf(jwk: JWK, given: SigningAlgorithm | undefined): SigningAlgorithm {
  const alg = given ?? (jwk.alg as SigningAlgorithm | undefined) ?? (jwk.kty === 'RSA' ? 'RS256' : 'ES256');
  if (!SIGNING_ALGORITHMS.includes(alg))
    invalid(`Signing algorithm "${alg}" is not one of ${SIGNING_ALGORITHMS.join(', ')}.`);
  return alg;
}

function checkStrength(jwk: JWK, kid: string): void {
  // RSA below 2048 bits is breakable (NIST SP 800-57); jose would sign with it regardless.
  if (jwk.kty === 'RSA' && Buffer.from(jwk.n ?? '', 'base64url').length * 8 < 2048) {
    invalid(`Signing key "${kid}": RSA keys must be at least 2048 bits.`);
  }
}

/**
 * The authorization server's signing keys and the JWKS it publishes.
 *
 * Rotation: list keys newest first. A key signs only once it has been published for
 * `publishLeadMs` (verifiers cache the JWKS for minutes, and must know a key before they see a
 * token signed with it); until then the next older key keeps signing. Every configured key stays
 * in the JWKS, so a retired key is removed from the configuration, by its operator, no sooner
 * than one access-token lifetime after its successor started signing.
 */
export class OAuthSigningKeys {
  private constructor(
    private readonly keys: readonly LoadedKey[],
    private readonly publishLeadMs: number,
  ) {}

  static async load(
    inputs: readonly SigningKeyInput[] | undefined,
    options: { store: Store; publishLeadMs: number; production: boolean },
  ): Promise<OAuthSigningKeys> {
    const logger = new Logger('OAuthServer');
    let loaded: Omit<LoadedKey, 'publishedAt'>[];
    if (inputs === undefined || inputs.length === 0) {
      if (options.production) {
        invalid('OAuth signing keys are required in production: set `signingKeys` (JWK or PEM).');
      }
      loaded = [await generateDevelopmentKey()];
      logger.warn(
        [
          '',
          '**************************************************************************',
          '* OAuth: NO SIGNING KEYS CONFIGURED. A key was generated for this process. *',
          '* Tokens become invalid on restart and other instances cannot verify them. *',
          '* Configure `signingKeys` before running anywhere but on your machine.     *',
          '**************************************************************************',
        ].join('\n'),
      );
    } else {
      loaded = await Promise.all(inputs.map(loadKey));
    }
    const kids = new Set<string>();
    for (const key of loaded) {
      if (kids.has(key.kid)) invalid(`Signing key id "${key.kid}" is used twice.`);
      kids.add(key.kid);
    }
    const keys: LoadedKey[] = [];
    for (const key of loaded) keys.push({ ...key, publishedAt: await firstPublished(options.store, key.kid, logger) });
    return new OAuthSigningKeys(Object.freeze(keys), options.publishLeadMs);
  }

  /**
   * The key to sign with now: the newest key published for at least the lead time; when none is
   * (a first deployment), the oldest, since nobody can have cached a JWKS without it.
   */
  current(now = Date.now()): LoadedKey {
    const ready = this.keys.find((key) => key.publishedAt + this.publishLeadMs <= now);
    return ready ?? (this.keys.at(-1) as LoadedKey);
  }

  /** The public JWKS (RFC 7517): every configured key, private members removed. */
  jwks(): { keys: JWK[] } {
    return { keys: this.publicKeys() };
  }

  /** Public JWKs, e.g. for `AuthModule`'s `jwt.keys` in the same application. */
  publicKeys(): JWK[] {
    return this.keys.map((key) => ({ ...key.publicJwk }));
  }

  /** Algorithms of the published keys, for the metadata and for verifying our own tokens. */
  algorithms(): SigningAlgorithm[] {
    return [...new Set(this.keys.map((key) => key.alg))];
  }
}

async function loadKey(input: SigningKeyInput): Promise<Omit<LoadedKey, 'publishedAt'>> {
  if ('pem' in input) {
    const alg = input.alg ?? 'ES256';
    if (!SIGNING_ALGORITHMS.includes(alg))
      invalid(`Signing algorithm "${alg}" is not one of ${SIGNING_ALGORITHMS.join(', ')}.`);
    if (typeof input.kid !== 'string' || !SAFE_KID.test(input.kid))
      invalid('A PEM signing key needs a `kid` of letters, digits, ".", "_", "-".');
    let privateKey: CryptoKey;
    try {
      privateKey = await importPKCS8(input.pem, alg, { extractable: true });
    } catch (error) {
      invalid(`Signing key "${input.kid}" is not a PKCS #8 private key for ${alg}: ${(error as Error).message}`);
    }
    const jwk = await exportJWK(privateKey);
    checkStrength(jwk, input.kid);
    return { kid: input.kid, alg, privateKey, publicJwk: { ...publicPart(jwk), kid: input.kid, alg, use: 'sig' } };
  }
  const jwk = input.jwk;
  if (typeof jwk.d !== 'string') invalid('A signing key JWK must be a private key (with "d").');
  const alg = algorithmOf(jwk, input.alg);
  const kid = jwk.kid ?? (await calculateJwkThumbprint(publicPart(jwk)));
  if (!SAFE_KID.test(kid)) invalid(`Signing key id "${kid}" must be letters, digits, ".", "_", "-".`);
  checkStrength(jwk, kid);
  let privateKey: CryptoKey;
  try {
    privateKey = (await importJWK({ ...jwk, alg }, alg)) as CryptoKey;
  } catch (error) {
    invalid(`Signing key "${kid}" cannot be used with ${alg}: ${(error as Error).message}`);
  }
  // What the key may be used for is this server's to say: its own kid, alg and use.
  const members = Object.fromEntries(
    Object.entries(publicPart(jwk)).filter(([name]) => !['alg', 'kid', 'use', 'key_ops'].includes(name)),
  );
  return { kid, alg, privateKey, publicJwk: { ...members, kid, alg, use: 'sig' } };
}

async function generateDevelopmentKey(): Promise<Omit<LoadedKey, 'publishedAt'>> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(publicKey);
  const kid = `dev-${(await calculateJwkThumbprint(jwk)).slice(0, 16)}`;
  return { kid, alg: 'ES256', privateKey, publicJwk: { ...jwk, kid, alg: 'ES256', use: 'sig' } };
}

async function firstPublished(store: Store, kid: string, logger: Logger): Promise<number> {
  const key = `oauth:key-published:${kid}`;
  const now = Date.now();
  try {
    await store.set(key, String(now), { ttlMs: PUBLISHED_RECORD_TTL_MS, ifAbsent: true });
    const value = Number(await store.get(key));
    return Number.isFinite(value) && value > 0 ? value : now;
  } catch (error) {
    // Counting from now only delays a new key's first signature: the safe side.
    logger.warn(
      `Could not read when key "${kid}" was first published (${(error as Error).message}); counting from now.`,
    );
    return now;
  }
}
