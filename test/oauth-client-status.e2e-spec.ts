import { SecurityEvents, type SecurityEvent } from '@rampart/core';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../apps/sample-api/src/app.config';
import { bearer } from './utils/auth';
import { BACKEND, basic, postForm } from './utils/oauth';
import { PLATFORMS, startApp, type TestApp } from './utils/test-app';

/**
 * A client-credentials token speaks for the client (`sub` client:<id>): the guard asks the OAuth
 * client registry about it (AuthModule `clientStatus`), never the user store, where no user has
 * that id and every such token was refused.
 */
describe.each(PLATFORMS)('client-credentials tokens on API routes (%s)', (platform) => {
  let t: TestApp;
  const events: SecurityEvent[] = [];

  beforeAll(async () => {
    t = await startApp(platform, {
      rateLimit: { perIpPerMinute: 0 },
      oauth: { ...loadConfig({}).oauth, tokenPerMinute: 10_000 },
    });
    t.app.get(SecurityEvents).subscribe((event) => events.push(event));
  });
  afterAll(async () => {
    await t.close();
  });

  async function clientToken(scope: string): Promise<string> {
    const res = await postForm(
      t.server,
      '/oauth/token',
      { grant_type: 'client_credentials', scope },
      basic(BACKEND.id, BACKEND.secret),
    );
    expect(res.status).toBe(200);
    return res.body.access_token as string;
  }

  const notes = (token: string) => request(t.server).get('/notes').set('Authorization', `Bearer ${token}`);
  const admin = async (action: 'disable' | 'enable', id: string = BACKEND.id) =>
    request(t.server)
      .post(`/admin/oauth-clients/${id}/${action}`)
      .set(await bearer(t.app, 'u-admin'));

  it('reaches a route of its scope; another scope is 403, not 401', async () => {
    const token = await clientToken('notes:read');
    const ok = await notes(token);
    expect(ok.status).toBe(200);
    const write = await request(t.server)
      .post('/notes')
      .set('Authorization', `Bearer ${token}`)
      .send({ title: 'from a client', body: 'x' });
    expect(write.status).toBe(403);
  });

  it('is refused as soon as its client is disabled, and works again once enabled', async () => {
    const token = await clientToken('notes:read');
    expect((await notes(token)).status).toBe(200);
    expect((await admin('disable')).status).toBe(204);
    try {
      events.length = 0;
      const refused = await notes(token);
      expect(refused.status).toBe(401);
      expect(refused.headers['www-authenticate']).toContain('error="invalid_token"');
      expect(events.find((e) => e.type === 'auth.failure')).toMatchObject({
        reason: 'client_unknown',
        principal: { kind: 'client', id: BACKEND.id },
      });
      // A disabled client cannot get a new token either.
      const renewed = await postForm(
        t.server,
        '/oauth/token',
        { grant_type: 'client_credentials', scope: 'notes:read' },
        basic(BACKEND.id, BACKEND.secret),
      );
      expect(renewed.status).toBe(401);
      expect(renewed.body.error).toBe('invalid_client');
    } finally {
      expect((await admin('enable')).status).toBe(204);
    }
    expect((await notes(token)).status).toBe(200);
  });

  it('gives a user token the user-store check as before (a suspended user is refused)', async () => {
    expect((await notes((await bearer(t.app, 'u-alice')).Authorization!.slice(7))).status).toBe(200);
    const carol = await request(t.server)
      .get('/notes')
      .set(await bearer(t.app, 'u-carol'));
    expect(carol.status).toBe(401);
  });

  it('lets only an admin disable a client, and only a registered one', async () => {
    const user = await request(t.server)
      .post(`/admin/oauth-clients/${BACKEND.id}/disable`)
      .set(await bearer(t.app, 'u-alice'));
    expect(user.status).toBe(403);
    expect((await admin('disable', 'no-such-client')).status).toBe(404);
    expect((await notes(await clientToken('notes:read'))).status).toBe(200);
  });
});
