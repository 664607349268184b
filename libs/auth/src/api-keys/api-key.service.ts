import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { SecurityEvents } from '@rampart/core';
import { NotFoundError, ValidationError } from '@rampart/errors';
import { API_KEY_STORAGE, RAMPART_AUTH_OPTIONS } from '../auth.constants';
import type { ResolvedAuthOptions } from '../auth.options';
import { RouteInventory } from '../inventory/route-inventory';
import type { AuthenticatedApiKey } from '../principal';
import { isScopeToken } from '../tokens/access-token';
import { apiKeyParser, hashApiKey, newApiKey, newApiKeyId, sameHash, type ParsedApiKey } from './api-key.format';
import type { ApiKeyRecord, ApiKeyStorage } from './storage/api-key.storage';

/** @publicApi */
export interface CreateApiKeyInput {
  /** A label for people, e.g. the partner's name. */
  name: string;
  scopes: string[];
  ownerId?: string;
  tenantId?: string;
  /** When the key stops working (ms since the epoch or a Date); none: until revoked. */
  expiresAt?: number | Date;
}

/** A key as listed: everything but its hashes. @publicApi */
export interface ApiKeyView {
  id: string;
  name: string;
  scopes: string[];
  ownerId: string | undefined;
  tenantId: string | undefined;
  status: 'active' | 'expired' | 'revoked';
  createdAt: string;
  expiresAt: string | undefined;
  rotatedAt: string | undefined;
  /** End of the overlap during which the key before the last rotation still works. */
  previousExpiresAt: string | undefined;
  revokedAt: string | undefined;
  lastUsedAt: string | undefined;
}

/** A new key: `key` is shown this once and stored nowhere. @publicApi */
export interface IssuedApiKey {
  key: string;
  apiKey: ApiKeyView;
}

export type ApiKeyFailureReason = 'api_key_malformed' | 'api_key_invalid' | 'api_key_revoked' | 'api_key_expired';

export class ApiKeyVerificationError extends Error {
  constructor(
    readonly reason: ApiKeyFailureReason,
    readonly keyId?: string,
  ) {
    super(reason);
    this.name = 'ApiKeyVerificationError';
  }
}

/** Compared against when no record matches, so an unknown id costs the same hash-and-compare. */
const DUMMY_HASH = hashApiKey('rampart-dummy-api-key');
const DEFAULT_OVERLAP_MS = 24 * 60 * 60 * 1000;
const MAX_OVERLAP_MS = 30 * 24 * 60 * 60 * 1000;
const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());

/**
 * Creates, lists, rotates, revokes and verifies API keys for partner applications.
 * @publicApi
 * @example
 * const { key } = await apiKeys.create({ name: 'Acme CRM', scopes: ['partner:read'] });
 * // give `key` to the partner now: it cannot be shown again
 */
@Injectable()
export class ApiKeyService {
  private readonly logger = new Logger('ApiKeyService');
  private readonly parse: (presented: string) => ParsedApiKey | undefined;

  constructor(
    @Inject(RAMPART_AUTH_OPTIONS) private readonly options: ResolvedAuthOptions,
    @Inject(API_KEY_STORAGE) private readonly storage: ApiKeyStorage,
    @Optional() private readonly events?: SecurityEvents,
    @Optional() private readonly inventory?: RouteInventory,
  ) {
    this.parse = apiKeyParser(options.apiKeys.prefix);
  }

  async create(input: CreateApiKeyInput, actor?: string): Promise<IssuedApiKey> {
    const name = typeof input.name === 'string' ? input.name.trim() : '';
    const scopes =
      Array.isArray(input.scopes) && input.scopes.length <= 64 && input.scopes.every(isScopeToken)
        ? [...new Set(input.scopes)]
        : undefined;
    const errors = [];
    if (name.length === 0 || name.length > 100)
      errors.push({ field: 'name', message: 'name must be 1 to 100 characters' });
    if (!scopes) errors.push({ field: 'scopes', message: 'scopes must be a list of scope names' });
    const allowed = this.allowedScopes();
    // A wildcard is refused even if a route declares one: a key never means "every scope".
    const refused = scopes?.filter((s) => !allowed.has(s) || s.includes('*')) ?? [];
    if (refused.length > 0) {
      errors.push({
        field: 'scopes',
        message: `scopes ${refused.map((s) => JSON.stringify(s)).join(', ')} are not allowed; a key may carry only: ${
          allowed.size > 0 ? [...allowed].join(', ') : '(no scope is declared)'
        }`,
      });
    }
    const expiresAt = input.expiresAt instanceof Date ? input.expiresAt.getTime() : input.expiresAt;
    if (expiresAt !== undefined && (!Number.isFinite(expiresAt) || expiresAt <= Date.now())) {
      errors.push({ field: 'expiresAt', message: 'expiresAt must be in the future' });
    }
    if (errors.length > 0 || !scopes) throw new ValidationError(errors);
    for (;;) {
      const id = newApiKeyId();
      const key = newApiKey(this.options.apiKeys.prefix, id);
      const record: ApiKeyRecord = {
        id,
        name,
        scopes,
        createdAt: Date.now(),
        hash: hashApiKey(key),
        ...(input.ownerId === undefined ? {} : { ownerId: input.ownerId }),
        ...(input.tenantId === undefined ? {} : { tenantId: input.tenantId }),
        ...(expiresAt === undefined ? {} : { expiresAt }),
      };
      // 64-bit ids collide about never; if one does, draw again rather than overwrite.
      if (!(await this.storage.insert(record))) continue;
      this.emit('api_key.created', id, actor);
      return { key, apiKey: this.view(record) };
    }
  }

  async list(filter?: { ownerId?: string }): Promise<ApiKeyView[]> {
    return (await this.storage.list(filter)).map((r) => this.view(r));
  }

  async get(id: string): Promise<ApiKeyView | undefined> {
    const record = await this.storage.get(id);
    return record && this.view(record);
  }

  /**
   * Issues a new secret for the same key id (same scopes, same identity for rate limits and
   * audit). The current secret keeps working for `overlapMs` so the partner can deploy the new
   * one; `0` cuts it off at once (e.g. after a leak). Rotating again ends any earlier overlap.
   */
  async rotate(id: string, options: { overlapMs?: number } = {}, actor?: string): Promise<IssuedApiKey> {
    const overlapMs = options.overlapMs ?? DEFAULT_OVERLAP_MS;
    if (!Number.isSafeInteger(overlapMs) || overlapMs < 0 || overlapMs > MAX_OVERLAP_MS) {
      throw new ValidationError([{ field: 'overlapMs', message: `overlapMs must be 0 to ${MAX_OVERLAP_MS}` }]);
    }
    const record = await this.storage.get(id);
    if (!record || this.status(record) !== 'active') throw new NotFoundError('No active API key with this id.');
    const key = newApiKey(this.options.apiKeys.prefix, id);
    const now = Date.now();
    const secrets = {
      hash: hashApiKey(key),
      rotatedAt: now,
      ...(overlapMs > 0 ? { previousHash: record.hash, previousExpiresAt: now + overlapMs } : {}),
    };
    if (!(await this.storage.setSecrets(id, secrets))) throw new NotFoundError('No active API key with this id.');
    this.emit('api_key.rotated', id, actor, { overlapMs });
    return { key, apiKey: this.view({ ...record, ...secrets }) };
  }

  /** Revokes a key and any overlapping previous secret. Resolves to false for an unknown id. */
  async revoke(id: string, actor?: string): Promise<boolean> {
    const revoked = await this.storage.revoke(id, Date.now());
    if (revoked) this.emit('api_key.revoked', id, actor);
    return revoked;
  }

  /**
   * The key's identity, or an {@link ApiKeyVerificationError}. The secret is compared as a
   * SHA-256 digest with `timingSafeEqual`, against the current and the previous hash alike, and
   * against a dummy when the id is unknown, so timing tells nothing about the secret.
   */
  async verify(presented: string): Promise<AuthenticatedApiKey> {
    const parsed = this.parse(presented);
    if (!parsed) throw new ApiKeyVerificationError('api_key_malformed');
    const record = await this.storage.get(parsed.id);
    const now = Date.now();
    const hash = hashApiKey(parsed.key);
    const matchesCurrent = sameHash(hash, record?.hash ?? DUMMY_HASH);
    const previousValid = record?.previousHash !== undefined && (record.previousExpiresAt ?? 0) > now;
    const matchesPrevious = sameHash(hash, previousValid ? (record.previousHash ?? DUMMY_HASH) : DUMMY_HASH);
    if (!record || (!matchesCurrent && !(previousValid && matchesPrevious))) {
      throw new ApiKeyVerificationError('api_key_invalid', record?.id);
    }
    if (record.revokedAt !== undefined) throw new ApiKeyVerificationError('api_key_revoked', record.id);
    if (record.expiresAt !== undefined && record.expiresAt <= now) {
      throw new ApiKeyVerificationError('api_key_expired', record.id);
    }
    if (now - (record.lastUsedAt ?? 0) >= this.options.apiKeys.lastUsedWriteIntervalMs) {
      // Not awaited: recording use must neither slow nor fail the request.
      this.storage.touch(record.id, now).catch((error: unknown) => {
        this.logger.warn(`Could not record the last use of API key ${record.id}: ${(error as Error).message}`);
      });
    }
    // A key stored before the allowlist (or written to the store by hand) with `*` or `admin`
    // is still a key, but those scopes grant nothing.
    const allowed = this.allowedScopes();
    return Object.freeze({
      id: record.id,
      name: record.name,
      scopes: Object.freeze(record.scopes.filter((s) => allowed.has(s))),
      ownerId: record.ownerId,
      tenantId: record.tenantId,
    });
  }

  /**
   * `apiKeys.scopes`, or else the scopes the routes declare: a key's scope can then mean only
   * what some route checks, never a wildcard or a name a future route might pick up by chance.
   */
  private allowedScopes(): ReadonlySet<string> {
    return this.options.apiKeys.scopes ?? this.inventory?.declaredScopes ?? new Set();
  }

  private status(record: ApiKeyRecord): ApiKeyView['status'] {
    if (record.revokedAt !== undefined) return 'revoked';
    if (record.expiresAt !== undefined && record.expiresAt <= Date.now()) return 'expired';
    return 'active';
  }

  private view(record: ApiKeyRecord): ApiKeyView {
    const overlapOpen = record.previousExpiresAt !== undefined && record.previousExpiresAt > Date.now();
    return {
      id: record.id,
      name: record.name,
      scopes: [...record.scopes],
      ownerId: record.ownerId,
      tenantId: record.tenantId,
      status: this.status(record),
      createdAt: new Date(record.createdAt).toISOString(),
      expiresAt: iso(record.expiresAt),
      rotatedAt: iso(record.rotatedAt),
      previousExpiresAt: overlapOpen ? iso(record.previousExpiresAt) : undefined,
      revokedAt: iso(record.revokedAt),
      lastUsedAt: iso(record.lastUsedAt),
    };
  }

  private emit(
    type: 'api_key.created' | 'api_key.rotated' | 'api_key.revoked',
    keyId: string,
    actor: string | undefined,
    details: Record<string, unknown> = {},
  ): void {
    this.events?.emit({
      type,
      severity: type === 'api_key.created' ? 'info' : 'medium',
      // Who acted (an administrator's user id); the key is what the event is about.
      ...(actor === undefined ? {} : { principal: { kind: 'user', id: actor } }),
      details: { keyId, ...details },
    });
  }
}
