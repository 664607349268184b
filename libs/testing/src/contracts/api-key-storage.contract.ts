import type { ApiKeyRecord, ApiKeyStorage } from '@rampart/auth';
import { randomBytes } from 'node:crypto';
import type { TestFramework } from './test-framework';

function record(overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  return {
    id: randomBytes(8).toString('hex'),
    name: 'partner',
    scopes: ['partner:read'],
    tenantId: 'acme',
    createdAt: Date.now(),
    hash: randomBytes(32).toString('base64url'),
    ...overrides,
  };
}

/**
 * What every ApiKeyStorage must do, run against memory, the real Redis and yours.
 * @publicApi
 * @example
 * import { afterAll, beforeAll, describe, expect, it } from 'vitest';
 * describeApiKeyStorageContract({ describe, it, expect, beforeAll, afterAll }, 'mine', () => new MyStorage());
 */
export function describeApiKeyStorageContract(
  { describe, it, expect }: TestFramework,
  name: string,
  create: () => ApiKeyStorage,
): void {
  describe(`ApiKeyStorage contract: ${name}`, () => {
    it('inserts, reads back and refuses a second insert of the same id', async () => {
      const storage = create();
      const r = record({ ownerId: 'u-admin', expiresAt: Date.now() + 60_000 });
      expect(await storage.insert(r)).toBe(true);
      expect(await storage.get(r.id)).toEqual(r);
      expect(await storage.insert({ ...r, hash: 'other' })).toBe(false);
      expect((await storage.get(r.id))?.hash).toBe(r.hash);
      expect(await storage.get('0000000000000000')).toBeUndefined();
    });

    it('lists keys, optionally by owner', async () => {
      const storage = create();
      const owner = `owner-${randomBytes(4).toString('hex')}`;
      const mine = [record({ ownerId: owner }), record({ ownerId: owner })];
      for (const r of [...mine, record()]) await storage.insert(r);
      const listed = await storage.list({ ownerId: owner });
      expect(listed.map((r) => r.id).sort()).toEqual(mine.map((r) => r.id).sort());
      expect((await storage.list()).length).toBeGreaterThanOrEqual(3);
    });

    it('replaces secrets (dropping an old overlap) and keeps the rest', async () => {
      const storage = create();
      const r = record({ previousHash: 'old', previousExpiresAt: Date.now() + 1000 });
      await storage.insert(r);
      expect(await storage.setSecrets(r.id, { hash: 'new', rotatedAt: 5 })).toBe(true);
      const stored = await storage.get(r.id);
      expect(stored).toMatchObject({ hash: 'new', rotatedAt: 5, name: r.name, scopes: r.scopes });
      expect(stored?.previousHash).toBeUndefined();
      expect(await storage.setSecrets('0000000000000000', { hash: 'x' })).toBe(false);
    });

    it('revokes once (the first time wins) and no secret rotation undoes it', async () => {
      const storage = create();
      const r = record();
      await storage.insert(r);
      expect(await storage.revoke(r.id, 100)).toBe(true);
      expect(await storage.revoke(r.id, 200)).toBe(true);
      await storage.setSecrets(r.id, { hash: 'rotated' });
      await storage.touch(r.id, 300);
      expect(await storage.get(r.id)).toMatchObject({ revokedAt: 100, hash: 'rotated', lastUsedAt: 300 });
      expect(await storage.revoke('0000000000000000', 1)).toBe(false);
    });

    it('records last use without creating a key that does not exist', async () => {
      const storage = create();
      await storage.touch('0000000000000001', 1);
      expect(await storage.get('0000000000000001')).toBeUndefined();
    });
  });
}
