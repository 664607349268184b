import { Logger } from '@nestjs/common';
import type { SecurityEvents } from '@rampart/core';
import { OutboundClient, OutboundError, type OutboundClientOptions } from '@rampart/outbound';
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { frozenJwks, jwksProblem } from './oauth-client';

/** How the JWKS of `jwksUri` clients are fetched and kept. @publicApi */
export interface ClientJwksOptions {
  /**
   * The `@rampart/outbound` client that fetches them: any public host by default (clients name
   * their own), never a non-public address, no redirects, 64 KiB, 5 s in all. Give `allowedHosts`
   * to pin the hosts clients may use. `allowPrivateNetworks` is outbound's test-only escape.
   */
  outbound?: OutboundClientOptions;
  /** A fetched JWKS is used this long, then fetched again. @default 600 */
  cacheTtlSeconds?: number;
  /**
   * One fetch per URI at most this often, whatever asks for it: an unknown `kid` (a client that
   * rotated its key) or a failed fetch. Assertions with made-up `kid`s, or for a client whose URL
   * fails, cannot make the server hammer the URL. @default 60
   */
  minRefetchIntervalSeconds?: number;
  /** JWKS kept at most; the least recently used goes first. @default 1000 */
  maxEntries?: number;
}

export interface ResolvedClientJwksOptions {
  readonly outbound: OutboundClientOptions;
  readonly cacheTtlMs: number;
  readonly minRefetchIntervalMs: number;
  readonly maxEntries: number;
}

const DEFAULT_OUTBOUND: OutboundClientOptions = {
  connectTimeoutMs: 2_000,
  headersTimeoutMs: 3_000,
  totalTimeoutMs: 5_000,
  maxResponseBytes: 64 * 1024,
  // A redirect would only move the fetch somewhere the client did not register.
  maxRedirects: 0,
};
/** More keys than a rotation needs is a sign of a wrong URL, not a JWKS. */
const MAX_FETCHED_KEYS = 20;

export function resolveClientJwksOptions(
  raw: ClientJwksOptions = {},
  fail: (message: string) => never,
): ResolvedClientJwksOptions {
  const whole = (value: number | undefined, fallback: number, name: string, max: number): number => {
    const n = value ?? fallback;
    if (!Number.isSafeInteger(n) || n < 1 || n > max)
      fail(`clientJwks.${name} must be a whole number from 1 to ${max}.`);
    return n;
  };
  const cacheTtl = whole(raw.cacheTtlSeconds, 600, 'cacheTtlSeconds', 86_400);
  const minRefetch = whole(raw.minRefetchIntervalSeconds, 60, 'minRefetchIntervalSeconds', 86_400);
  if (minRefetch > cacheTtl) fail('clientJwks.minRefetchIntervalSeconds must not exceed cacheTtlSeconds.');
  const outbound = { ...DEFAULT_OUTBOUND, ...raw.outbound };
  if (outbound.allowedHosts === undefined && outbound.allowAnyPublicHost === undefined) {
    outbound.allowAnyPublicHost = true;
  }
  return Object.freeze({
    outbound: Object.freeze(outbound),
    cacheTtlMs: cacheTtl * 1000,
    minRefetchIntervalMs: minRefetch * 1000,
    maxEntries: whole(raw.maxEntries, 1000, 'maxEntries', 1_000_000),
  });
}

/** The client's keys cannot be had now: its assertion is refused (`invalid_client`). */
export class ClientJwksUnavailableError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'ClientJwksUnavailableError';
  }
}

interface Entry {
  keys: JWTVerifyGetKey | undefined;
  fetchedAt: number;
  /** When a fetch last started, successful or not: the refetch limit counts from here. */
  attemptedAt: number;
  pending: Promise<void> | undefined;
}

/**
 * The JWKS of `private_key_jwt` clients registered with `jwksUri` (RFC 7591), fetched through
 * `@rampart/outbound` (public addresses only, DNS pinned, size and time limits), checked (public
 * asymmetric signing keys only), and cached per URI (bounded, LRU) for `cacheTtlSeconds`. An
 * unknown `kid` fetches again — a client that rotated its key — but at most once per
 * `minRefetchIntervalSeconds` per URI, and concurrent needs share one fetch.
 */
export class ClientJwks {
  private readonly logger = new Logger('OAuthServer');
  private readonly client: OutboundClient;
  /** Map order is recency order: a hit moves its entry to the end, eviction takes the first. */
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly options: ResolvedClientJwksOptions,
    events?: SecurityEvents,
  ) {
    this.client = new OutboundClient(
      { ...options.outbound, ...(events && !options.outbound.events ? { events } : {}) },
      'oauth-client-jwks',
    );
  }

  /** The key resolver jose's `jwtVerify` calls for an assertion of the client at `uri`. */
  resolverFor(uri: string): JWTVerifyGetKey {
    return async (header, token) => {
      const entry = this.entry(uri);
      if (!entry.keys || Date.now() - entry.fetchedAt >= this.options.cacheTtlMs) await this.refresh(uri, entry);
      try {
        return await (entry.keys as JWTVerifyGetKey)(header, token);
      } catch (error) {
        if (!(error instanceof errors.JWKSNoMatchingKey) || this.tooSoon(entry)) throw error;
        // An unknown kid: the client may have rotated its key since the last fetch.
        await this.refresh(uri, entry);
        return (entry.keys as JWTVerifyGetKey)(header, token);
      }
    };
  }

  close(): Promise<void> {
    return this.client.close();
  }

  private entry(uri: string): Entry {
    let entry = this.entries.get(uri);
    if (entry) {
      this.entries.delete(uri);
    } else {
      entry = { keys: undefined, fetchedAt: 0, attemptedAt: 0, pending: undefined };
      if (this.entries.size >= this.options.maxEntries) {
        this.entries.delete(this.entries.keys().next().value as string);
      }
    }
    this.entries.set(uri, entry);
    return entry;
  }

  private tooSoon(entry: Entry): boolean {
    return entry.attemptedAt !== 0 && Date.now() - entry.attemptedAt < this.options.minRefetchIntervalMs;
  }

  private async refresh(uri: string, entry: Entry): Promise<void> {
    if (entry.pending) return entry.pending;
    // Expired or missing keys and a fetch that just failed: refuse rather than fetch again.
    if (this.tooSoon(entry)) throw new ClientJwksUnavailableError('jwks_refetch_too_soon');
    entry.attemptedAt = Date.now();
    entry.pending = this.fetch(uri)
      .then((jwks) => {
        entry.keys = createLocalJWKSet(jwks);
        entry.fetchedAt = Date.now();
      })
      .finally(() => {
        entry.pending = undefined;
      });
    return entry.pending;
  }

  private async fetch(uri: string): Promise<JSONWebKeySet> {
    let body: unknown;
    try {
      body = await this.client.json(uri, { headers: { accept: 'application/jwk-set+json, application/json' } });
    } catch (error) {
      if (!(error instanceof OutboundError)) throw error;
      this.logger.warn(`A client's jwks_uri could not be fetched (${error.outboundCode}): ${error.message}`);
      throw new ClientJwksUnavailableError(`jwks_${error.outboundCode.toLowerCase()}`);
    }
    const problem = jwksProblem(body, MAX_FETCHED_KEYS);
    if (problem) {
      this.logger.warn(`A client's jwks_uri serves an unusable JWKS: ${problem}.`);
      throw new ClientJwksUnavailableError('jwks_unusable');
    }
    return frozenJwks(body as JSONWebKeySet);
  }
}
