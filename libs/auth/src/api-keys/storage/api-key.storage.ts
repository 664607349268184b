/**
 * An API key as stored: never the key itself, only its SHA-256 (`hash`). During a rotation's
 * overlap the previous key's hash is kept too, until `previousExpiresAt`.
 * @publicApi
 */
export interface ApiKeyRecord {
  id: string;
  name: string;
  scopes: string[];
  ownerId?: string;
  tenantId?: string;
  /** Milliseconds since the epoch, as every time here. */
  createdAt: number;
  expiresAt?: number;
  hash: string;
  previousHash?: string;
  previousExpiresAt?: number;
  rotatedAt?: number;
  revokedAt?: number;
  lastUsedAt?: number;
}

/** The key's secret material, replaced as a whole by a rotation. */
export type ApiKeySecrets = Pick<ApiKeyRecord, 'hash' | 'previousHash' | 'previousExpiresAt' | 'rotatedAt'>;

/**
 * Where API keys live. Revocation and last-use are separate writes, never a rewrite of the whole
 * record, so a concurrent rotation or use can never undo a revocation.
 * @publicApi
 */
export interface ApiKeyStorage {
  /** Stores a new key; resolves to false (and writes nothing) when the id is taken. */
  insert(record: ApiKeyRecord): Promise<boolean>;
  get(id: string): Promise<ApiKeyRecord | undefined>;
  /** Every key, or those of one owner. */
  list(filter?: { ownerId?: string }): Promise<ApiKeyRecord[]>;
  /** Replaces the secrets of an existing key; resolves to false when there is no such key. */
  setSecrets(id: string, secrets: ApiKeySecrets): Promise<boolean>;
  /** Marks a key revoked (the first time wins); resolves to false when there is no such key. */
  revoke(id: string, at: number): Promise<boolean>;
  touch(id: string, at: number): Promise<void>;
}
