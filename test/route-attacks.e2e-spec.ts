import { assertNoFindings, probeApp, type TestTokens } from '@rampart/testing';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_USER_SCOPES, testTokensOf } from './utils/auth';
import { PLATFORMS, startApp, type TestApp } from './utils/test-app';

/** The sample's public routes, each a decision: anything else public is a finding. */
const PUBLIC_ROUTES = [
  'GET /health',
  // Sign-up: an anonymous caller creates an account (validated, limited per IP).
  'POST /accounts',
  'POST /accounts/via-schema',
  // The partner quote is a public price list fetched through the outbound client.
  'GET /integrations/partner/quote',
  // Credentials of their own: the OAuth protocol (client authentication, PKCE, the login form),
  // a webhook signature, the metrics scrape token.
  'GET /.well-known/*',
  '* /oauth/*',
  'POST /webhooks/*',
  'GET /metrics',
];

describe.each(PLATFORMS)('probeApp finds nothing in the sample API (%s)', (platform) => {
  let t: TestApp;
  let tokens: TestTokens;
  beforeAll(async () => {
    // The probe sends about a thousand requests from one address: limits high enough never to
    // answer 429 (which would prove nothing), still counted, so every answer carries the headers.
    // No test-only controllers: the probe sees the sample as it ships.
    t = await startApp(platform, { rateLimit: { perIpPerMinute: 1_000_000, writesPerMinute: 1_000_000 } }, []);
    tokens = await testTokensOf(t.app);
  });
  afterAll(() => t.close());

  it('attacks every route and reports no finding', { timeout: 120_000 }, async () => {
    const alice = await tokens.bearer('u-alice', { scope: ALL_USER_SCOPES });
    const bob = await tokens.bearer('u-bob', { scope: ALL_USER_SCOPES });
    const note = await request(t.server).post('/notes').set(alice).send({ title: 'mine', body: 'private' });
    expect(note.status).toBe(201);
    const report = await probeApp(t.app, {
      tokens,
      credentials: alice,
      publicRoutes: PUBLIC_ROUTES,
      // Alice's note, which Bob may neither read, change nor delete.
      objects: [{ params: { id: note.body.id }, owner: alice, stranger: bob, routes: ['* /notes/:id'] }],
      bodies: { 'POST /notes': { title: 'a note', body: 'text' } },
    });
    assertNoFindings(report);
    // It did attack: every protected route, the note's routes as a stranger, the writes.
    expect(report.coverage.unauthenticated).toBeGreaterThan(20);
    expect(report.coverage.bola).toBeGreaterThanOrEqual(3);
    expect(report.coverage['mass-assignment']).toBeGreaterThan(10);
    // The note survived the stranger's attempts.
    expect((await request(t.server).get(`/notes/${note.body.id}`).set(alice)).status).toBe(200);
  });
});

describe.each(PLATFORMS)('probeApp under threat block and ban modes (%s)', (platform) => {
  it.each(['block', 'ban'] as const)(
    'finds nothing in %s mode, checks every route, and leaves no ban behind',
    { timeout: 120_000 },
    async (mode) => {
      // No trusted proxies: the sample otherwise trusts loopback as its proxy, and a proxy's
      // address is never banned, which would hide what this test is about.
      const t = await startApp(
        platform,
        { rateLimit: { perIpPerMinute: 1_000_000, writesPerMinute: 1_000_000 }, threat: { mode }, trustedProxies: [] },
        [],
      );
      try {
        const tokens = await testTokensOf(t.app);
        const alice = await tokens.bearer('u-alice', { scope: ALL_USER_SCOPES });
        const bob = await tokens.bearer('u-bob', { scope: ALL_USER_SCOPES });
        const note = await request(t.server).post('/notes').set(alice).send({ title: 'mine', body: 'private' });
        const report = await probeApp(t.app, {
          tokens,
          credentials: alice,
          publicRoutes: PUBLIC_ROUTES,
          objects: [{ params: { id: note.body.id }, owner: alice, stranger: bob, routes: ['* /notes/:id'] }],
          bodies: { 'POST /notes': { title: 'a note', body: 'text' } },
        });
        assertNoFindings(report);
        // Every check past authentication was answered by the route, not by a ban (as in monitor mode).
        expect(report.coverage['rate-limit-headers']).toBeGreaterThan(7);
        // The hostile requests were refused: the mode was in force.
        const detected = t.logs.lines.filter((line) => line.includes('"type":"threat.detected"'));
        expect(detected.some((line) => line.includes('"decision":"blocked"'))).toBe(true);
        // The test's own client (127.0.0.1) is not banned by what the probe sent.
        expect((await request(t.server).get(`/notes/${note.body.id}`).set(alice)).status).toBe(200);
      } finally {
        await t.close();
      }
    },
  );
});
