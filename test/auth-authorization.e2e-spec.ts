import { API_KEY_STORAGE, ApiKeyService, RouteInventory, type ApiKeyStorage } from '@rampart/auth';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { bearer } from './utils/auth';
import { PLATFORMS, startApp, type TestApp } from './utils/test-app';

describe.each(PLATFORMS)('authorization on the sample API (%s)', (platform) => {
  let t: TestApp;
  let alice: Record<string, string>;
  let bob: Record<string, string>;
  let admin: Record<string, string>;
  let gina: Record<string, string>;
  beforeAll(async () => {
    t = await startApp(platform);
    alice = await bearer(t.app, 'u-alice');
    bob = await bearer(t.app, 'u-bob');
    admin = await bearer(t.app, 'u-admin');
    gina = await bearer(t.app, 'u-gina');
  });
  afterAll(() => t.close());

  describe('object level: notes belong to their author (BOLA, OWASP API1)', () => {
    let noteId: string;
    beforeAll(async () => {
      const res = await request(t.server).post('/notes').set(alice).send({ title: 'alice only', body: 'secret' });
      expect(res.status).toBe(201);
      expect(res.body.ownerId).toBe('u-alice');
      noteId = res.body.id;
    });

    it("answers another user's note 404, exactly like a missing one", async () => {
      const other = await request(t.server).get(`/notes/${noteId}`).set(bob);
      const missing = await request(t.server).get('/notes/00000000-0000-0000-0000-000000000000').set(bob);
      expect(other.status).toBe(404);
      expect(missing.status).toBe(404);
      expect(other.body.detail).toBe(missing.body.detail);
      expect(other.text).not.toContain('secret');
    });

    it("refuses to update or delete another user's note, and leaves it intact", async () => {
      expect((await request(t.server).patch(`/notes/${noteId}`).set(bob).send({ title: 'pwned' })).status).toBe(404);
      expect((await request(t.server).delete(`/notes/${noteId}`).set(bob)).status).toBe(404);
      const mine = await request(t.server).get(`/notes/${noteId}`).set(alice);
      expect(mine.status).toBe(200);
      expect(mine.body.title).toBe('alice only');
    });

    it("lists only the caller's notes", async () => {
      const res = await request(t.server).get('/notes').set(bob);
      expect(res.status).toBe(200);
      expect((res.body as { id: string }[]).map((n) => n.id)).not.toContain(noteId);
    });

    it("lets an admin read their tenant's notes but not another tenant's", async () => {
      expect((await request(t.server).get(`/notes/${noteId}`).set(admin)).status).toBe(200);
      expect((await request(t.server).get(`/notes/${noteId}`).set(gina)).status).toBe(404);
    });

    it('refuses to set the owner of a new or existing note (mass assignment)', async () => {
      const created = await request(t.server)
        .post('/notes')
        .set(bob)
        .send({ title: 'x', body: 'y', ownerId: 'u-alice' });
      // Not a field of a note a client writes: the DTO whitelist refuses it, naming it.
      expect(created.status).toBe(400);
      expect(created.body.errors).toContainEqual(expect.objectContaining({ field: 'ownerId' }));
      const moved = await request(t.server).patch(`/notes/${noteId}`).set(alice).send({ ownerId: 'u-bob' });
      expect(moved.status).toBe(400);
      expect((await request(t.server).get(`/notes/${noteId}`).set(alice)).body.ownerId).toBe('u-alice');
    });

    it('keeps the validation of note bodies', async () => {
      const res = await request(t.server).post('/notes').set(alice).send({ title: '' });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_ERROR');
    });
  });

  describe('function level: the admin area (BFLA, OWASP API5)', () => {
    it.each([
      ['get', '/admin/users'],
      ['patch', '/admin/users/u-bob'],
      ['get', '/admin/api-keys'],
      ['post', '/admin/api-keys'],
    ] as const)('refuses %s %s to a user with 403', async (method, path) => {
      const res = await request(t.server)[method](path).set(alice).send({ role: 'admin' });
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('FORBIDDEN');
    });

    it('serves an admin, within their tenant only', async () => {
      const res = await request(t.server).get('/admin/users').set(admin);
      expect(res.status).toBe(200);
      const ids = (res.body as { id: string }[]).map((u) => u.id);
      expect(ids).toContain('u-bob');
      expect(ids).not.toContain('u-gina');
    });

    it('uses current roles, not those of the token: a demoted admin is refused at once', async () => {
      const promoted = await request(t.server).patch('/admin/users/u-bob').set(admin).send({ role: 'admin' });
      expect(promoted.status).toBe(200);
      expect((await request(t.server).get('/admin/users').set(bob)).status).toBe(200);
      await request(t.server).patch('/admin/users/u-bob').set(admin).send({ role: 'user' });
      expect((await request(t.server).get('/admin/users').set(bob)).status).toBe(403);
    });

    it('refuses a token whose user an admin suspended, while it is unexpired', async () => {
      const bobToken = await bearer(t.app, 'u-bob');
      expect((await request(t.server).get('/users/me').set(bobToken)).status).toBe(200);
      await request(t.server).patch('/admin/users/u-bob').set(admin).send({ status: 'suspended' });
      expect((await request(t.server).get('/users/me').set(bobToken)).status).toBe(401);
      await request(t.server).patch('/admin/users/u-bob').set(admin).send({ status: 'active' });
      expect((await request(t.server).get('/users/me').set(bobToken)).status).toBe(200);
    });
  });

  describe('field level: responses per caller and writable fields (OWASP API3)', () => {
    it('shows a user their own email but never a password hash', async () => {
      const res = await request(t.server).get('/users/me').set(alice);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        id: 'u-alice',
        name: 'alice',
        email: 'alice@acme.test',
        role: 'user',
        tenantId: 'acme',
      });
    });

    it("shows only the name of another user, and nothing of another tenant's", async () => {
      const res = await request(t.server).get('/users/u-bob').set(alice);
      expect(res.body).toEqual({ id: 'u-bob', name: 'bob' });
      expect((await request(t.server).get('/users/u-gina').set(alice)).status).toBe(404);
    });

    it('shows an admin emails but never a password hash', async () => {
      const res = await request(t.server).get('/admin/users').set(admin);
      for (const user of res.body) {
        expect(user.email).toMatch(/@acme\.test$/);
        expect(user).not.toHaveProperty('passwordHash');
      }
      expect(res.text).not.toMatch(/scrypt|passwordHash/);
    });

    it('refuses a user setting their own role (mass assignment) and changes nothing', async () => {
      const res = await request(t.server).patch('/users/me').set(alice).send({ name: 'Alice', role: 'admin' });
      expect(res.status).toBe(403);
      expect(res.body.fields).toEqual(['role']);
      expect((await request(t.server).get('/users/me').set(alice)).body).toMatchObject({ name: 'alice', role: 'user' });
      expect((await request(t.server).get('/admin/users').set(alice)).status).toBe(403);
    });

    it('lets a user change their name', async () => {
      const res = await request(t.server).patch('/users/me').set(alice).send({ name: 'Alice' });
      expect(res.status).toBe(200);
      expect(res.body.name).toBe('Alice');
      await request(t.server).patch('/users/me').set(alice).send({ name: 'alice' });
    });
  });

  describe('API keys for partner applications', () => {
    let key: string;
    let keyId: string;
    beforeAll(async () => {
      const res = await request(t.server)
        .post('/admin/api-keys')
        .set(admin)
        .send({ name: 'Acme CRM', scopes: ['partner:read', 'profile'] });
      expect(res.status).toBe(201);
      key = res.body.key;
      keyId = res.body.apiKey.id;
    });

    it.each([['*'], ['admin'], ['partner:read', 'partner:write']])(
      'refuses a key with a scope the API does not declare (%s)',
      async (...scopes) => {
        const res = await request(t.server).post('/admin/api-keys').set(admin).send({ name: 'Wide', scopes });
        expect(res.status).toBe(400);
        expect(res.body.errors).toContainEqual(expect.objectContaining({ field: 'scopes' }));
        expect(res.text).not.toContain('"key"');
      },
    );

    const stats = (value: string) => request(t.server).get('/partner/stats').set('X-API-Key', value);

    it('issues a recognisable key with 256 bits of randomness, shown once, stored only as a hash', async () => {
      expect(key).toMatch(/^rk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
      const stored = await t.app.get<ApiKeyStorage>(API_KEY_STORAGE, { strict: false }).get(keyId);
      expect(JSON.stringify(stored)).not.toContain(key.slice(-43));
      const listed = await request(t.server).get('/admin/api-keys').set(admin);
      expect(listed.text).not.toContain(key.slice(-43));
      expect(listed.text).not.toContain(stored!.hash);
    });

    it('accepts the key on an API-key route and records its last use', async () => {
      const res = await stats(key);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ tenant: 'acme', notes: expect.any(Number) });
      // The use is recorded in the background (never awaited by the request): wait for it.
      await expect
        .poll(async () => (await t.app.get(ApiKeyService).get(keyId))?.lastUsedAt, { timeout: 5_000 })
        .toBeDefined();
    });

    it('refuses a request without a key, a forged key and an unknown key alike', async () => {
      const forged = `${key.slice(0, -43)}${'A'.repeat(43)}`;
      const unknown = `rk_0000000000000000_${key.slice(-43)}`;
      const bodies = [];
      for (const value of [forged, unknown, 'not-a-key', `${key}x`]) {
        const res = await stats(value);
        expect(res.status).toBe(401);
        expect(res.headers['www-authenticate']).toBe('ApiKey realm="api", error="invalid_token"');
        bodies.push(res.body.detail);
      }
      expect(new Set(bodies).size).toBe(1);
      expect((await request(t.server).get('/partner/stats')).status).toBe(401);
    });

    it('refuses a user token on an API-key route, and a key on a JWT route', async () => {
      expect((await request(t.server).get('/partner/stats').set(alice)).status).toBe(401);
      expect((await request(t.server).get('/users/me').set('X-API-Key', key)).status).toBe(401);
    });

    it('checks per-key scopes', async () => {
      const res = await request(t.server)
        .post('/admin/api-keys')
        .set(admin)
        .send({ name: 'No stats', scopes: ['profile'] });
      const denied = await stats(res.body.key);
      expect(denied.status).toBe(403);
      expect(denied.body.requiredScopes).toEqual(['partner:read']);
    });

    it('needs both the application and the user on an @Auth("both") route', async () => {
      expect((await request(t.server).get('/partner/me').set('X-API-Key', key)).status).toBe(401);
      expect((await request(t.server).get('/partner/me').set(alice)).status).toBe(401);
      const res = await request(t.server).get('/partner/me').set(alice).set('X-API-Key', key);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ user: 'u-alice', application: 'Acme CRM' });
    });

    it('accepts either credential on an @Auth("either") route, but every credential sent must be valid', async () => {
      const catalog = () => request(t.server).get('/partner/catalog');
      expect((await catalog().set(alice)).body.caller).toBe('user:u-alice');
      expect((await catalog().set('X-API-Key', key)).body.caller).toBe('application:Acme CRM');
      const none = await catalog();
      expect(none.status).toBe(401);
      expect(none.headers['www-authenticate']).toBe('Bearer realm="api", ApiKey realm="api"');
      expect(
        (
          await catalog()
            .set(alice)
            .set('X-API-Key', `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`)
        ).status,
      ).toBe(401);
      const noScope = await catalog().set(await bearer(t.app, 'u-alice', { scope: 'profile' }));
      expect(noScope.status).toBe(403);
      expect(noScope.body).toMatchObject({ requiredScopes: ['partner:read', 'notes:read'], scopeMatch: 'any' });
    });

    it('keeps the old secret working during the rotation overlap only', async () => {
      const created = await request(t.server)
        .post('/admin/api-keys')
        .set(admin)
        .send({ name: 'Rotating', scopes: ['partner:read'] });
      const oldKey: string = created.body.key;
      // The app's clock held still and moved by the test: the overlap ends at an exact instant, not
      // after a sleep that a slow machine could outlast before the first check.
      vi.useFakeTimers({ toFake: ['Date'] });
      try {
        const rotatedAt = Date.now();
        const rotated = await request(t.server)
          .post(`/admin/api-keys/${created.body.apiKey.id}/rotate`)
          .set(admin)
          .send({ overlapSeconds: 1 });
        expect(rotated.status).toBe(201);
        const newKey: string = rotated.body.key;
        expect(newKey).not.toBe(oldKey);
        expect(newKey.slice(0, 20)).toBe(oldKey.slice(0, 20)); // same id
        vi.setSystemTime(rotatedAt + 999);
        expect((await stats(oldKey)).status).toBe(200);
        expect((await stats(newKey)).status).toBe(200);
        vi.setSystemTime(rotatedAt + 1_000);
        expect((await stats(oldKey)).status).toBe(401);
        expect((await stats(newKey)).status).toBe(200);
      } finally {
        vi.useRealTimers();
      }
    });

    it('refuses a revoked key at once, and an expired key', async () => {
      const created = await request(t.server)
        .post('/admin/api-keys')
        .set(admin)
        .send({ name: 'Doomed', scopes: ['partner:read'] });
      expect((await stats(created.body.key)).status).toBe(200);
      expect((await request(t.server).delete(`/admin/api-keys/${created.body.apiKey.id}`).set(admin)).status).toBe(204);
      expect((await stats(created.body.key)).status).toBe(401);

      vi.useFakeTimers({ toFake: ['Date'] });
      try {
        const expiresAt = Date.now() + 300;
        const { key: shortLived } = await t.app
          .get(ApiKeyService)
          .create({ name: 'Short', scopes: ['partner:read'], tenantId: 'acme', expiresAt });
        vi.setSystemTime(expiresAt - 1);
        expect((await stats(shortLived)).status).toBe(200);
        vi.setSystemTime(expiresAt);
        expect((await stats(shortLived)).status).toBe(401);
      } finally {
        vi.useRealTimers();
      }
    });

    it("answers another tenant's key as missing to an admin", async () => {
      expect((await request(t.server).delete(`/admin/api-keys/${keyId}`).set(gina)).status).toBe(404);
      expect((await stats(key)).status).toBe(200);
    });
  });

  describe('route inventory (OWASP API9)', () => {
    it('lists every route with its protection', () => {
      const routes = t.app.get(RouteInventory).routes;
      const find = (method: string, path: string) => routes.find((r) => r.method === method && r.path === path);
      expect(find('GET', '/health')).toMatchObject({ auth: 'public', explicit: true });
      expect(find('GET', '/notes/:id')).toMatchObject({ auth: 'jwt', scopes: 'notes:read' });
      expect(find('GET', '/admin/users')).toMatchObject({ auth: 'jwt', roles: 'admin' });
      expect(find('GET', '/partner/stats')).toMatchObject({ auth: 'apiKey', scopes: 'partner:read' });
      expect(find('GET', '/partner/me')).toMatchObject({ auth: 'both' });
    });
  });
});

describe('route inventory with requireExplicitDecision', () => {
  it('refuses to start while a route has no explicit auth decision', async () => {
    const { Controller, Get } = await import('@nestjs/common');
    @Controller('undecided')
    class UndecidedController {
      @Get()
      get(): string {
        return 'who may call me?';
      }
    }
    await expect(startApp('express', { requireExplicitAuth: true }, [UndecidedController])).rejects.toThrow(
      /GET \/undecided/,
    );
  });

  it('starts when every route has one', async () => {
    const t = await startApp('express', { requireExplicitAuth: true });
    await t.close();
  });
});
