import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer } from './utils/auth';
import { PLATFORMS, startApp, type TestApp } from './utils/test-app';

const account = (name: string, domain: string) => ({
  email: `${name}@${domain}`,
  username: name,
  password: 'correct horse battery staple',
  profile: { displayName: name, bio: 'Hello' },
});

interface Listed {
  id: string;
  username: string;
  email?: string;
  tenantId?: string;
}

describe.each(PLATFORMS)("the sample's accounts API: tenant-scoped, fields by role (%s)", (platform) => {
  let t: TestApp;
  let acmeAdmin: Record<string, string>;
  let acmeUser: Record<string, string>;
  let globexAdmin: Record<string, string>;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    t = await startApp(platform, { threat: { mode: 'monitor' } });
    [acmeAdmin, acmeUser, globexAdmin] = await Promise.all([
      bearer(t.app, 'u-admin'),
      bearer(t.app, 'u-alice'),
      bearer(t.app, 'u-gina'),
    ]);
    for (const [name, domain] of [
      ['ann_acme', 'acme.test'],
      ['ben_acme', 'acme.test'],
      ['gus_globex', 'globex.test'],
      ['sam_solo', 'example.com'],
    ] as const) {
      await request(t.server).post('/accounts').send(account(name, domain)).expect(202);
    }
    for (const admin of [acmeAdmin, globexAdmin]) {
      const res = await request(t.server).get('/accounts?limit=100').set(admin).expect(200);
      for (const item of res.body.items as Listed[]) ids[item.username] = item.id;
    }
  });
  afterAll(() => t.close());

  it("lists only the caller's tenant, whatever the query", async () => {
    const acme = await request(t.server).get('/accounts?limit=100').set(acmeUser).expect(200);
    expect((acme.body.items as Listed[]).map((a) => a.username).sort()).toEqual(['ann_acme', 'ben_acme']);
    expect(acme.body.total).toBe(2);
    const globex = await request(t.server).get('/accounts?limit=100').set(globexAdmin).expect(200);
    expect((globex.body.items as Listed[]).map((a) => a.username)).toEqual(['gus_globex']);
    // An address of no known organisation is a tenant of its own: nobody else lists it.
    expect(ids.sam_solo).toBeUndefined();
  });

  it('shows admins the e-mail and users a public profile only', async () => {
    const asAdmin = await request(t.server).get('/accounts?limit=100').set(acmeAdmin).expect(200);
    for (const item of asAdmin.body.items as Listed[]) expect(item.email).toMatch(/@acme\.test$/);
    const asUser = await request(t.server).get('/accounts?limit=100').set(acmeUser).expect(200);
    for (const item of asUser.body.items as Listed[]) {
      expect(Object.keys(item).sort()).toEqual(['createdAt', 'id', 'profile', 'username']);
    }
    expect(asUser.text).not.toContain('@acme.test');
    const one = await request(t.server).get(`/accounts/${ids.ann_acme}`).set(acmeUser).expect(200);
    expect(one.body).not.toHaveProperty('email');
    expect(one.text).not.toMatch(/password|scrypt/i);
  });

  it("answers another tenant's account as missing (404), to read and to edit", async () => {
    const read = await request(t.server).get(`/accounts/${ids.ann_acme}`).set(globexAdmin);
    expect(read.status).toBe(404);
    const edit = await request(t.server)
      .patch(`/accounts/${ids.ann_acme}/profile`)
      .set(globexAdmin)
      .send({ bio: 'defaced' });
    expect(edit.status).toBe(404);
    const after = await request(t.server).get(`/accounts/${ids.ann_acme}`).set(acmeAdmin).expect(200);
    expect(after.body.profile.bio).toBe('Hello');
    // The admin of the account's own tenant may edit it.
    const own = await request(t.server).patch(`/accounts/${ids.ann_acme}/profile`).set(acmeAdmin).send({ bio: 'Hi' });
    expect(own.status).toBe(200);
    expect(own.body.profile.bio).toBe('Hi');
  });

  it.each(['/accounts', '/accounts/via-schema'])(
    '%s answers a taken e-mail or username exactly as a free one (202, same body), and creates nothing',
    async (path) => {
      const free = await request(t.server)
        .post(path)
        .send(account(`new_${path.length}`, 'acme.test'));
      const takenEmail = await request(t.server)
        .post(path)
        .send({ ...account(`other_${path.length}`, 'acme.test'), email: 'ann_acme@acme.test' });
      const takenUsername = await request(t.server).post(path).send(account('ann_acme', 'acme.test'));
      for (const res of [free, takenEmail, takenUsername]) {
        expect(res.status).toBe(202);
        expect(res.body).toEqual(free.body);
      }
      const listed = await request(t.server).get('/accounts?limit=100').set(acmeAdmin).expect(200);
      const names = (listed.body.items as Listed[]).map((a) => a.username);
      expect(names).toContain(`new_${path.length}`);
      expect(names).not.toContain(`other_${path.length}`);
      expect(names.filter((n) => n === 'ann_acme')).toHaveLength(1);
    },
  );
});
