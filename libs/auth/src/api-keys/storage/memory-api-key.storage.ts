import type { ApiKeyRecord, ApiKeySecrets, ApiKeyStorage } from './api-key.storage';

/**
 * API keys in this process's memory: for development and tests, or a single instance whose keys
 * are created at start. Bounded: keys are created by administrators, never by client input.
 * @publicApi
 * @example
 * AuthModule.forRoot({ apiKeys: { storage: new MemoryApiKeyStorage() }, ... })
 */
export class MemoryApiKeyStorage implements ApiKeyStorage {
  private readonly records = new Map<string, ApiKeyRecord>();

  constructor(private readonly maxKeys = 10_000) {}

  async insert(record: ApiKeyRecord): Promise<boolean> {
    if (this.records.has(record.id)) return false;
    if (this.records.size >= this.maxKeys)
      throw new Error(`MemoryApiKeyStorage holds its maximum of ${this.maxKeys} keys.`);
    this.records.set(record.id, structuredClone(record));
    return true;
  }

  async get(id: string): Promise<ApiKeyRecord | undefined> {
    const record = this.records.get(id);
    return record && structuredClone(record);
  }

  async list(filter: { ownerId?: string } = {}): Promise<ApiKeyRecord[]> {
    return [...this.records.values()]
      .filter((r) => filter.ownerId === undefined || r.ownerId === filter.ownerId)
      .map((r) => structuredClone(r));
  }

  async setSecrets(id: string, secrets: ApiKeySecrets): Promise<boolean> {
    const record = this.records.get(id);
    if (!record) return false;
    delete record.previousHash;
    delete record.previousExpiresAt;
    Object.assign(record, secrets);
    return true;
  }

  async revoke(id: string, at: number): Promise<boolean> {
    const record = this.records.get(id);
    if (!record) return false;
    record.revokedAt ??= at;
    return true;
  }

  async touch(id: string, at: number): Promise<void> {
    const record = this.records.get(id);
    if (record) record.lastUsedAt = Math.max(record.lastUsedAt ?? 0, at);
  }
}
