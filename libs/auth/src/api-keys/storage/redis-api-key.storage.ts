import type { Cluster, Redis } from 'ioredis';
import type { ApiKeyRecord, ApiKeySecrets, ApiKeyStorage } from './api-key.storage';

/** Every key shares the `{apikeys}` hash tag: the scripts touch a record and the index in one slot. */
const INSERT = `if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'record', ARGV[1], 'secrets', ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
return 1`;
/** Writes one field of an existing record; `HSETNX` when ARGV[3] is '1' (first revocation wins). */
const SET_FIELD = `if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[3] == '1' then redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) else redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
return 1`;

type StoredFields = Partial<Record<'record' | 'secrets' | 'revokedAt' | 'lastUsedAt', string>>;

/**
 * API keys in Redis, shared by every instance: one hash per key (`record`, `secrets`, `revokedAt`,
 * `lastUsedAt` as separate fields, so no write can undo another) and an index set for listing.
 * The client is borrowed, never closed here.
 * @publicApi
 * @example
 * new RedisApiKeyStorage(redisStore.redis, redisStore.key('auth:'))
 */
export class RedisApiKeyStorage implements ApiKeyStorage {
  constructor(
    private readonly client: Redis | Cluster,
    private readonly keyPrefix = 'rampart:auth:',
  ) {}

  private recordKey(id: string): string {
    return `${this.keyPrefix}{apikeys}:key:${id}`;
  }

  private get indexKey(): string {
    return `${this.keyPrefix}{apikeys}:index`;
  }

  async insert(record: ApiKeyRecord): Promise<boolean> {
    const { hash, previousHash, previousExpiresAt, rotatedAt } = record;
    const secrets: ApiKeySecrets = { hash, previousHash, previousExpiresAt, rotatedAt };
    const rest = {
      id: record.id,
      name: record.name,
      scopes: record.scopes,
      ownerId: record.ownerId,
      tenantId: record.tenantId,
      createdAt: record.createdAt,
      expiresAt: record.expiresAt,
    };
    const reply = await this.client.eval(
      INSERT,
      2,
      this.recordKey(record.id),
      this.indexKey,
      JSON.stringify(rest),
      JSON.stringify(secrets),
      record.id,
    );
    return reply === 1;
  }

  async get(id: string): Promise<ApiKeyRecord | undefined> {
    return this.parse(await this.client.hgetall(this.recordKey(id)));
  }

  async list(filter: { ownerId?: string } = {}): Promise<ApiKeyRecord[]> {
    const ids = await this.client.smembers(this.indexKey);
    const records = await Promise.all(ids.map((id) => this.get(id)));
    return records.filter(
      (r): r is ApiKeyRecord => r !== undefined && (filter.ownerId === undefined || r.ownerId === filter.ownerId),
    );
  }

  async setSecrets(id: string, secrets: ApiKeySecrets): Promise<boolean> {
    return this.setField(id, 'secrets', JSON.stringify(secrets), false);
  }

  async revoke(id: string, at: number): Promise<boolean> {
    return this.setField(id, 'revokedAt', String(at), true);
  }

  async touch(id: string, at: number): Promise<void> {
    await this.setField(id, 'lastUsedAt', String(at), false);
  }

  private async setField(id: string, field: string, value: string, onlyIfAbsent: boolean): Promise<boolean> {
    const reply = await this.client.eval(SET_FIELD, 1, this.recordKey(id), field, value, onlyIfAbsent ? '1' : '0');
    return reply === 1;
  }

  private parse(fields: StoredFields): ApiKeyRecord | undefined {
    // A record without secrets is treated as absent: it can authenticate nothing.
    if (fields.record === undefined || fields.secrets === undefined) return undefined;
    const record: ApiKeyRecord = {
      ...(JSON.parse(fields.record) as Omit<ApiKeyRecord, keyof ApiKeySecrets>),
      ...(JSON.parse(fields.secrets) as ApiKeySecrets),
    };
    if (fields.revokedAt !== undefined) record.revokedAt = Number(fields.revokedAt);
    if (fields.lastUsedAt !== undefined) record.lastUsedAt = Number(fields.lastUsedAt);
    return record;
  }
}
