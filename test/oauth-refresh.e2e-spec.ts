import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../apps/sample-api/src/app.config';
import { SPA, authorize, authorizeQuery, exchange, login, pkce as pkceOf, postForm } from './utils/oauth';
import { describeWithRedis, redisUrl } from './utils/redis';
import { startApp, type TestApp, type TestConfig } from './utils/test-app';

/** Refresh-token lifetimes and the grace for concurrent refreshes: state in the Store, so memory and Redis. */
function suite(overrides: TestConfig): void {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp('express', {
      rateLimit: { perIpPerMinute: 0 },
      // The default grace (5 s); idle expiry after 2 s, so the test can wait it out.
      oauth: { ...loadConfig({}).oauth, tokenPerMinute: 10_000, refreshIdleTtlSeconds: 2 },
      ...overrides,
    });
  });
  afterAll(() => t.close());

  async function tokens(): Promise<{ access_token: string; refresh_token: string }> {
    const { code, pkce } = await authorize(t.server);
    const res = await exchange(t.server, code ?? '', pkce.verifier);
    expect(res.status).toBe(200);
    return res.body as { access_token: string; refresh_token: string };
  }
  const refresh = (token: string): request.Test =>
    postForm(t.server, '/oauth/token', { grant_type: 'refresh_token', refresh_token: token, client_id: SPA.id });
  const notes = (token: string): request.Test =>
    request(t.server).get('/notes').set('Authorization', `Bearer ${token}`);

  it('gives one of two concurrent refreshes with one token (two tabs) new tokens; the other gets invalid_grant and the family survives', async () => {
    const first = await tokens();
    const answers = await Promise.all([refresh(first.refresh_token), refresh(first.refresh_token)]);
    const winners = answers.filter((res) => res.status === 200);
    const losers = answers.filter((res) => res.status !== 200);
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(1);
    expect(losers[0]?.status).toBe(400);
    expect(losers[0]?.body.error).toBe('invalid_grant');
    // The loser's retry within the grace changes nothing either.
    expect((await refresh(first.refresh_token)).body.error).toBe('invalid_grant');
    const winner = winners[0]?.body as { access_token: string; refresh_token: string };
    expect((await notes(winner.access_token)).status).toBe(200);
    expect((await refresh(winner.refresh_token)).status).toBe(200);
  });

  it('logs out: the refresh token revoked (family and access tokens), the sign-in session ended', async () => {
    const { code, pkce, location } = await authorize(t.server);
    expect(location.searchParams.get('code')).toBe(code);
    const res = await exchange(t.server, code ?? '', pkce.verifier);
    const first = res.body as { access_token: string; refresh_token: string };
    expect((await postForm(t.server, '/oauth/revoke', { token: first.refresh_token, client_id: SPA.id })).status).toBe(
      200,
    );
    expect((await notes(first.access_token)).status).toBe(401);
    expect((await refresh(first.refresh_token)).body.error).toBe('invalid_grant');

    const { cookie } = await login(t.server, '');
    const out = await request(t.server).post('/oauth/logout').type('form').set('Cookie', cookie).send('');
    expect(out.status).toBe(204);
    expect(String(out.headers['set-cookie'])).toMatch(/rampart_session=;.*Max-Age=0/);
    // The old cookie signs nobody in any more: the authorization endpoint asks for a login again.
    const again = await request(t.server)
      .get(`/oauth/authorize?${authorizeQuery(pkceOf().challenge)}`)
      .set('Cookie', cookie);
    expect(again.status).toBe(302);
    expect(again.headers.location).toMatch(/^\/oauth\/login/);
    const crossSite = await request(t.server)
      .post('/oauth/logout')
      .type('form')
      .set('Origin', 'https://evil.example')
      .set('Cookie', cookie)
      .send('');
    expect(crossSite.status).toBe(403);
  });

  it('expires a refresh token left idle, even though the family has days to live', async () => {
    const first = await tokens();
    const second = await refresh(first.refresh_token);
    expect(second.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const idle = await refresh(second.body.refresh_token as string);
    expect(idle.status).toBe(400);
    expect(idle.body.error).toBe('invalid_grant');
  });
}

describe('OAuth refresh tokens (memory store)', () => {
  suite({});
});

describeWithRedis('OAuth refresh tokens (Redis)', () => {
  suite({ redisUrl });
});
