import { beforeEach, describe, expect, it } from 'vitest';
import { resolveAuthOptions } from '../auth.options';
import { hashApiKey } from './api-key.format';
import { ApiKeyService, ApiKeyVerificationError } from './api-key.service';
import { MemoryApiKeyStorage } from './storage/memory-api-key.storage';

describe('ApiKeyService', () => {
  let storage: MemoryApiKeyStorage;
  let service: ApiKeyService;
  beforeEach(() => {
    storage = new MemoryApiKeyStorage();
    service = new ApiKeyService(
      resolveAuthOptions({ defaultMode: 'apiKey', apiKeys: { prefix: 'acme_live', scopes: ['a', 'b'] } }),
      storage,
    );
  });

  const reason = (promise: Promise<unknown>) =>
    promise.then(
      () => 'accepted',
      (error: unknown) => (error instanceof ApiKeyVerificationError ? error.reason : String(error)),
    );

  it('issues keys with the configured prefix and stores only their SHA-256', async () => {
    const { key, apiKey } = await service.create({ name: 'Partner', scopes: ['a', 'b'] });
    expect(key).toMatch(/^acme_live_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    const stored = await storage.get(apiKey.id);
    expect(stored?.hash).toBe(hashApiKey(key));
    expect(JSON.stringify(stored)).not.toContain(key);
    expect(await service.verify(key)).toMatchObject({ id: apiKey.id, name: 'Partner', scopes: ['a', 'b'] });
  });

  it('refuses malformed input, another prefix and a wrong secret under a real id', async () => {
    const { key } = await service.create({ name: 'Partner', scopes: ['a'] });
    expect(await reason(service.verify(''))).toBe('api_key_malformed');
    expect(await reason(service.verify(key.replace('acme_live', 'rk')))).toBe('api_key_malformed');
    expect(await reason(service.verify(`${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`))).toBe('api_key_invalid');
  });

  it('cuts the old secret off at once when rotated without overlap', async () => {
    const { key, apiKey } = await service.create({ name: 'Partner', scopes: ['a'] });
    const rotated = await service.rotate(apiKey.id, { overlapMs: 0 });
    expect(await reason(service.verify(key))).toBe('api_key_invalid');
    expect(await reason(service.verify(rotated.key))).toBe('accepted');
  });

  it('refuses to rotate a revoked key, and a revoked key with a valid overlap secret', async () => {
    const { key, apiKey } = await service.create({ name: 'Partner', scopes: ['a'] });
    const rotated = await service.rotate(apiKey.id, { overlapMs: 60_000 });
    await service.revoke(apiKey.id);
    expect(await reason(service.verify(key))).toBe('api_key_revoked');
    expect(await reason(service.verify(rotated.key))).toBe('api_key_revoked');
    await expect(service.rotate(apiKey.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await service.get(apiKey.id))?.status).toBe('revoked');
  });

  it('validates what it is asked to create', async () => {
    await expect(service.create({ name: '', scopes: ['a'] })).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
    await expect(service.create({ name: 'x', scopes: ['has space'] })).rejects.toMatchObject({
      code: 'VALIDATION_ERROR',
    });
    await expect(service.create({ name: 'x', scopes: [], expiresAt: Date.now() - 1 })).rejects.toMatchObject({
      code: 'VALIDATION_ERROR',
    });
    await expect(service.rotate('0000000000000000', { overlapMs: -1 })).rejects.toMatchObject({
      code: 'VALIDATION_ERROR',
    });
  });

  describe('scope allowlist (apiKeys.scopes)', () => {
    const scopeError = (promise: Promise<unknown>) =>
      promise.then(
        () => 'accepted',
        (error: unknown) => {
          const { code, errors } = error as { code?: string; errors?: { field: string; message: string }[] };
          return `${code}: ${errors?.map((e) => `${e.field} ${e.message}`).join('; ')}`;
        },
      );

    it.each([['*'], ['admin'], ['a:*'], ['b', 'notes:write']])(
      'refuses to issue a key with %s, and stores nothing',
      async (...scopes) => {
        const outcome = await scopeError(service.create({ name: 'Partner', scopes }));
        expect(outcome).toMatch(/^VALIDATION_ERROR: scopes .* not allowed; a key may carry only: a, b$/);
        expect(outcome).toContain(JSON.stringify(scopes.at(-1)));
        expect(await storage.list()).toEqual([]);
      },
    );

    it('issues a key whose scopes are all allowed', async () => {
      const { apiKey } = await service.create({ name: 'Partner', scopes: ['b', 'a', 'b'] });
      expect(apiKey.scopes).toEqual(['b', 'a']);
    });

    it('grants no scope outside the allowlist to a stored key (written before it, or by hand)', async () => {
      const { key, apiKey } = await service.create({ name: 'Partner', scopes: ['a'] });
      const record = (await storage.get(apiKey.id))!;
      const forged = new MemoryApiKeyStorage();
      await forged.insert({ ...record, scopes: ['a', '*', 'admin'] });
      const reader = new ApiKeyService(
        resolveAuthOptions({ defaultMode: 'apiKey', apiKeys: { prefix: 'acme_live', scopes: ['a', 'b'] } }),
        forged,
      );
      expect((await reader.verify(key)).scopes).toEqual(['a']);
    });

    it('without an allowlist or a route inventory, refuses every scope (nothing declares one)', async () => {
      const bare = new ApiKeyService(resolveAuthOptions({ defaultMode: 'apiKey' }), storage);
      expect(await scopeError(bare.create({ name: 'Partner', scopes: ['a'] }))).toContain('(no scope is declared)');
      const { apiKey } = await bare.create({ name: 'No scopes', scopes: [] });
      expect(apiKey.scopes).toEqual([]);
    });

    it.each([[['*']], [['notes:*']], [[]], [['has space']]])('refuses apiKeys.scopes %j at start', (scopes) => {
      expect(() => resolveAuthOptions({ defaultMode: 'apiKey', apiKeys: { scopes } })).toThrow(/apiKeys\.scopes/);
    });
  });
});
