import {
  API_KEY_STORAGE,
  ApiKeyService,
  RAMPART_AUTH_OPTIONS,
  RouteInventory,
  type ApiKeyStorage,
  type ResolvedAuthOptions,
} from '@rampart/auth';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY_SCOPES } from '../apps/sample-api/src/auth/sample-auth.module';
import { bearer } from './utils/auth';
import { PLATFORMS, startApp, type TestApp } from './utils/test-app';

describe.each(PLATFORMS)('API-key scope allowlist on the sample API (%s)', (platform) => {
  let t: TestApp;
  let admin: Record<string, string>;
  const keyCount = async () => (await request(t.server).get('/admin/api-keys').set(admin)).body.length as number;
  beforeAll(async () => {
    t = await startApp(platform);
    admin = await bearer(t.app, 'u-admin');
  });
  afterAll(() => t.close());

  it.each([['*'], ['admin'], ['notes:*'], ['billing:write'], ['partner:read', 'root']])(
    'answers 400 problem+json to a key with %s, naming the scope and the allowlist, and issues nothing',
    async (...scopes) => {
      const before = await keyCount();
      const res = await request(t.server).post('/admin/api-keys').set(admin).send({ name: 'Wide', scopes });
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      const message = (res.body.errors as { field: string; message: string }[]).find((e) => e.field === 'scopes');
      // The library's message (the DTO no longer checks scopes): the refused scope and what is allowed.
      expect(message?.message).toContain(JSON.stringify(scopes.at(-1)));
      expect(message?.message).toContain(`a key may carry only: ${API_KEY_SCOPES.join(', ')}`);
      expect(res.text).not.toContain('"key"');
      expect(await keyCount()).toBe(before);
    },
  );

  it('issues a key whose scopes are all declared', async () => {
    const res = await request(t.server)
      .post('/admin/api-keys')
      .set(admin)
      .send({ name: 'Acme CRM', scopes: ['partner:read', 'notes:read'] });
    expect(res.status).toBe(201);
    expect(res.body.apiKey.scopes).toEqual(['partner:read', 'notes:read']);
  });

  it('refuses in the library itself, whatever route or job calls it', async () => {
    await expect(t.app.get(ApiKeyService).create({ name: 'Job', scopes: ['admin'] })).rejects.toMatchObject({
      code: 'VALIDATION_ERROR',
      status: 400,
    });
  });

  it("the sample's allowlist is exactly what its routes declare, the default the library derives", () => {
    const declared = t.app.get(RouteInventory).declaredScopes;
    expect([...declared].sort()).toEqual([...API_KEY_SCOPES].sort());
    // Without `apiKeys.scopes`, the service takes the same list from the real route inventory.
    const options = t.app.get<ResolvedAuthOptions>(RAMPART_AUTH_OPTIONS, { strict: false });
    const derived = new ApiKeyService(
      { ...options, apiKeys: { ...options.apiKeys, scopes: undefined } },
      t.app.get<ApiKeyStorage>(API_KEY_STORAGE, { strict: false }),
      undefined,
      t.app.get(RouteInventory),
    );
    return Promise.all([
      expect(derived.create({ name: 'Star', scopes: ['*'] })).rejects.toMatchObject({ code: 'VALIDATION_ERROR' }),
      expect(derived.create({ name: 'Admin', scopes: ['admin'] })).rejects.toMatchObject({ code: 'VALIDATION_ERROR' }),
      expect(derived.create({ name: 'Reader', scopes: ['notes:read'] })).resolves.toMatchObject({
        apiKey: { scopes: ['notes:read'] },
      }),
    ]);
  });
});
