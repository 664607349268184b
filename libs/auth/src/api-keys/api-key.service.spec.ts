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
      resolveAuthOptions({ defaultMode: 'apiKey', apiKeys: { prefix: 'acme_live' } }),
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
});
