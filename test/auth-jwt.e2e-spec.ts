import { SecurityEvents, type SecurityEvent } from '@rampart/core';
import { TokenRevocationList } from '@rampart/auth';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT } from 'jose';
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DevTokenIssuer } from '../apps/sample-api/src/auth/dev-token-issuer';
import { expectProblem, type TestTokens } from '@rampart/testing';
import { issuerOf, testTokensOf, tokenFor } from './utils/auth';
import { PLATFORMS, startApp, type TestApp } from './utils/test-app';

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

describe.each(PLATFORMS)('JWT bearer authentication (%s)', (platform) => {
  let t: TestApp;
  let issuer: DevTokenIssuer;
  let tokens: TestTokens;
  let events: SecurityEvent[];
  beforeAll(async () => {
    t = await startApp(platform);
    issuer = issuerOf(t.app);
    tokens = await testTokensOf(t.app);
    t.app.get(SecurityEvents).subscribe((event) => events.push(event));
  });
  beforeEach(() => {
    events = [];
  });
  afterAll(() => t.close());

  const call = (token: string) => request(t.server).get('/notes').set('Authorization', `Bearer ${token}`);

  /** Every refusal looks the same to the client: 401, the RFC 6750 challenge, one message. */
  async function expectRefused(token: string, reason: string): Promise<void> {
    events = [];
    const res = await call(token);
    expectProblem(res, { status: 401, code: 'UNAUTHORIZED' });
    expect(res.headers['www-authenticate']).toBe('Bearer realm="api", error="invalid_token"');
    expect(res.body.detail).toBe('Authentication failed: send a valid access token or API key.');
    expect(events.find((e) => e.type === 'auth.failure')?.reason).toBe(reason);
  }

  it('accepts a valid token and emits auth.success', async () => {
    const res = await call(await tokenFor(t.app, 'u-alice'));
    expect(res.status).toBe(200);
    expect(events.find((e) => e.type === 'auth.success')).toMatchObject({ subject: 'user:u-alice', reason: 'jwt' });
  });

  it('answers a request without credentials 401 with a bare challenge (RFC 6750 §3.1)', async () => {
    const res = await request(t.server).get('/notes');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="api"');
    expect(events.find((e) => e.type === 'auth.failure')?.reason).toBe('token_missing');
  });

  it('refuses a token without client_id (RFC 9068 §2.2)', async () => {
    const claims = tokens.claimsFor('u-alice');
    delete claims.client_id;
    await expectRefused(await tokens.sign(claims), 'claim_invalid');
  });

  it('refuses alg "none" (unsecured JWT)', async () => {
    const claims = tokens.claimsFor('u-alice');
    const unsigned = `${b64({ alg: 'none', typ: 'at+jwt' })}.${b64(claims)}.`;
    // An empty signature is refused as malformed before its algorithm is read.
    expectProblem(await call(unsigned), 401);
    expectProblem(await call(tokens.algNone('u-alice')), 401);
    await expectRefused(`${b64({ alg: 'none', typ: 'at+jwt' })}.${b64(claims)}.c2ln`, 'algorithm_not_allowed');
  });

  it('refuses HS256 signed with the public key as the HMAC secret (algorithm confusion)', async () => {
    const pem = await exportSPKI((await generateKeyPair('ES256', { extractable: true })).publicKey);
    const jwkBytes = new TextEncoder().encode(JSON.stringify(tokens.publicJwk));
    await expectRefused(
      await tokens.sign(tokens.claimsFor('u-alice'), { alg: 'HS256' }, jwkBytes),
      'algorithm_not_allowed',
    );
    await expectRefused(
      await tokens.sign(tokens.claimsFor('u-alice'), { alg: 'HS256' }, new TextEncoder().encode(pem)),
      'algorithm_not_allowed',
    );
  });

  it('refuses a token signed by another key, under an unknown kid or under our kid', async () => {
    const other = await generateKeyPair('ES256');
    await expectRefused(
      await tokens.sign(tokens.claimsFor('u-alice'), { kid: 'attacker' }, other.privateKey),
      'unknown_key',
    );
    await expectRefused(await tokens.sign(tokens.claimsFor('u-alice'), {}, other.privateKey), 'signature_invalid');
    await expectRefused(await tokens.foreignKey('u-alice'), 'signature_invalid');
  });

  it('refuses a kid with path traversal', async () => {
    await expectRefused(
      await tokens.sign(tokens.claimsFor('u-alice'), { kid: '../../../../etc/passwd' }),
      'unknown_key',
    );
  });

  it.each(['jku', 'x5u'])('refuses a %s header pointing elsewhere, even on a token our key signed', async (name) => {
    await expectRefused(
      await tokens.sign(tokens.claimsFor('u-alice'), { [name]: 'https://attacker.example/keys.json' }),
      'header_not_allowed',
    );
  });

  it('refuses an embedded jwk header carrying the attacker key', async () => {
    const attacker = await generateKeyPair('ES256', { extractable: true });
    const jwk = await exportJWK(attacker.publicKey);
    await expectRefused(
      await tokens.sign(tokens.claimsFor('u-alice'), { jwk }, attacker.privateKey),
      'header_not_allowed',
    );
  });

  it('refuses an expired token', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectRefused(
      await tokens.sign({ ...tokens.claimsFor('u-alice'), iat: now - 900, exp: now - 60 }),
      'token_expired',
    );
    await expectRefused(await tokens.expired('u-alice'), 'token_expired');
  });

  it('refuses a token whose nbf is in the future', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectRefused(await tokens.sign({ ...tokens.claimsFor('u-alice'), nbf: now + 120 }), 'token_not_yet_valid');
  });

  it('refuses a token issued in the future', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectRefused(await tokens.sign({ ...tokens.claimsFor('u-alice'), iat: now + 300 }), 'claim_invalid');
  });

  it('refuses a wrong issuer and a wrong audience', async () => {
    await expectRefused(
      await tokens.sign({ ...tokens.claimsFor('u-alice'), iss: 'https://evil.example' }),
      'claim_invalid',
    );
    await expectRefused(await tokens.sign({ ...tokens.claimsFor('u-alice'), aud: 'another-api' }), 'claim_invalid');
    await expectRefused(await tokens.wrongIssuer('u-alice'), 'claim_invalid');
    await expectRefused(await tokens.wrongAudience('u-alice'), 'claim_invalid');
  });

  it.each(['exp', 'iat', 'jti', 'sub', 'scope'])('refuses a token without %s', async (claim) => {
    const claims = Object.fromEntries(Object.entries(tokens.claimsFor('u-alice')).filter(([name]) => name !== claim));
    await expectRefused(await tokens.sign(claims), 'claim_invalid');
  });

  it('refuses an ID token (typ JWT) and a token without typ', async () => {
    await expectRefused(await tokens.sign(tokens.claimsFor('u-alice'), { typ: 'JWT' }), 'wrong_type');
    const noTyp = await new SignJWT(tokens.claimsFor('u-alice'))
      .setProtectedHeader({ alg: 'ES256', kid: issuer.kid })
      .sign(issuer.privateKey);
    await expectRefused(noTyp, 'wrong_type');
  });

  it('refuses an unknown crit header', async () => {
    const extension = 'urn:example:must-understand';
    const token = await new SignJWT(tokens.claimsFor('u-alice'))
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: issuer.kid, crit: [extension], [extension]: 1 })
      .sign(issuer.privateKey, { crit: { [extension]: true } });
    await expectRefused(token, 'token_malformed');
  });

  it('refuses a token over the size limit (10 kB) without parsing it', async () => {
    const huge = await tokens.sign({ ...tokens.claimsFor('u-alice'), pad: 'x'.repeat(10_000) });
    await expectRefused(huge, 'token_too_large');
  });

  it('answers a 100 kB token with a 4xx from the HTTP server (header limit), never a 500', async () => {
    // Node refuses headers over 16 kB before any handler runs: 431 Request Header Fields Too Large.
    const res = await call(`${'a'.repeat(50_000)}.${'b'.repeat(50_000)}.c`);
    expect(res.status).toBe(431);
  });

  it('refuses truncated, non-base64 and non-JSON tokens', async () => {
    const good = await tokenFor(t.app, 'u-alice');
    await expectRefused(good.slice(0, -10), 'signature_invalid');
    await expectRefused(good.split('.').slice(0, 2).join('.'), 'token_malformed');
    await expectRefused(`${b64('not an object')}.${b64({})}.c2ln`, 'token_malformed');
    await expectRefused(`bm90IGpzb24.${b64({})}.c2ln`, 'token_malformed');
    const res = await call('abc.d$f.ghi');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="api", error="invalid_request"');
  });

  it('refuses a token sent in the query string (it would end up in logs)', async () => {
    const token = await tokenFor(t.app, 'u-alice');
    const res = await request(t.server).get(`/notes?access_token=${token}`);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toContain('error="invalid_request"');
  });

  it('refuses a valid token of a suspended user, and of a user that does not exist', async () => {
    await expectRefused(await tokenFor(t.app, 'u-carol'), 'account_suspended');
    await expectRefused(await tokenFor(t.app, 'u-nobody'), 'account_unknown');
  });

  it('refuses a revoked jti, even after the token was verified and cached', async () => {
    const claims = tokens.claimsFor('u-alice');
    const token = await tokens.sign(claims);
    expect((await call(token)).status).toBe(200);
    await t.app.get(TokenRevocationList).revoke(claims.jti, claims.exp);
    await expectRefused(token, 'token_revoked');
  });

  it('answers a missing scope 403 insufficient_scope naming the scope needed', async () => {
    const token = await tokenFor(t.app, 'u-alice', { scope: 'profile' });
    const res = await call(token);
    expect(res.status).toBe(403);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="api", error="insufficient_scope", scope="notes:read"');
    expect(res.body).toMatchObject({ code: 'FORBIDDEN', requiredScopes: ['notes:read'] });
    expect(events.find((e) => e.type === 'access.denied')?.reason).toBe('insufficient_scope');
  });

  it('lets @Public() routes through without a token', async () => {
    expect((await request(t.server).get('/health')).status).toBe(200);
  });
});
