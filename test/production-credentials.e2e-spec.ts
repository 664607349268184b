import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { exportJWK, generateKeyPair } from 'jose';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../apps/sample-api/src/app.config';
import { AppModule } from '../apps/sample-api/src/app.module';

const MAIN = 'apps/sample-api/src/main.ts';

interface Run {
  code: number | null;
  output: string;
  url: string | undefined;
  stop(): Promise<void>;
}

/** Runs the sample's real entry point as `npm start` would, until it listens or exits. */
async function runSample(env: Record<string, string>): Promise<Run> {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', MAIN], {
    env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', PORT: '0', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const listening = new Promise<string | undefined>((resolve) => {
    const read = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /Listening on (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]);
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    void exited.then(() => resolve(undefined));
  });
  const url = await listening;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
  };
  return { code: url ? null : await exited, output, url, stop };
}

async function productionSecrets(): Promise<Record<string, string>> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: 'prod-1', alg: 'ES256' };
  const partner = await generateKeyPair('ES256', { extractable: true });
  return {
    OAUTH_DEMO_PARTNER_JWKS: JSON.stringify({ keys: [await exportJWK(partner.publicKey)] }),
    OAUTH_SIGNING_KEYS: JSON.stringify([jwk]),
    // Never fetched in this test: no token is presented.
    JWKS_URL: 'http://127.0.0.1:9/.well-known/jwks.json',
    OAUTH_DEMO_BACKEND_SECRET: 'a-real-secret-from-the-vault-0123456789abcdef',
    WEBHOOK_SECRETS: `whsec_${randomBytes(32).toString('base64')}`,
    STRIPE_WEBHOOK_SECRETS: `whsec_${randomBytes(24).toString('hex')}`,
  };
}

describe('demo credentials under NODE_ENV=production', () => {
  it('the sample refuses to start with its defaults, naming every development credential', async () => {
    const run = await runSample({ NODE_ENV: 'production' });
    expect(run.url).toBeUndefined();
    expect(run.code).not.toBe(0);
    expect(run.output).toContain('Refusing to start with NODE_ENV=production');
    for (const fix of [
      'DEMO_USERS=false',
      'OAUTH_DEMO_BACKEND_SECRET',
      'OAUTH_DEMO_PARTNER_JWKS',
      'JWKS_URL',
      'OAUTH_SIGNING_KEYS',
      'WEBHOOK_SECRETS',
    ]) {
      expect(run.output).toContain(fix);
    }
  }, 60_000);

  it('refuses each development credential on its own (demo users, the default client secret)', async () => {
    const secrets = await productionSecrets();
    expect(() => AppModule.forRoot(loadConfig({ NODE_ENV: 'production', ...secrets }))).toThrow(
      /demo users with published passwords.*DEMO_USERS=false/,
    );
    const withoutSecret = { ...secrets, OAUTH_DEMO_BACKEND_SECRET: '' };
    expect(() =>
      AppModule.forRoot(loadConfig({ NODE_ENV: 'production', DEMO_USERS: 'false', ...withoutSecret })),
    ).toThrow(/demo-backend OAuth client uses the published default secret/);
    const withDemoPartnerKey = { ...secrets, OAUTH_DEMO_PARTNER_JWKS: '' };
    expect(() =>
      AppModule.forRoot(loadConfig({ NODE_ENV: 'production', DEMO_USERS: 'false', ...withDemoPartnerKey })),
    ).toThrow(/demo-partner OAuth client accepts the published demo key/);
    const withoutJwks = { ...secrets, JWKS_URL: '' };
    expect(() =>
      AppModule.forRoot(loadConfig({ NODE_ENV: 'production', DEMO_USERS: 'false', ...withoutJwks })),
    ).toThrow(/generated development key.*JWKS_URL/);
    for (const variable of ['WEBHOOK_SECRETS', 'STRIPE_WEBHOOK_SECRETS']) {
      const withDemoWebhookSecret = { ...secrets, [variable]: '' };
      expect(() =>
        AppModule.forRoot(loadConfig({ NODE_ENV: 'production', DEMO_USERS: 'false', ...withDemoWebhookSecret })),
      ).toThrow(/webhook receiver accepts the published demo secret/);
    }
    // Outside production the same defaults are the demo.
    expect(() => AppModule.forRoot(loadConfig({}))).not.toThrow();
  });

  it('starts when configured for production, and the published demo passwords no longer sign anyone in', async () => {
    const run = await runSample({ NODE_ENV: 'production', DEMO_USERS: 'false', ...(await productionSecrets()) });
    try {
      const url = run.url;
      if (url === undefined) throw new Error(`the sample did not start:\n${run.output}`);
      const login = await request(url)
        .post('/oauth/login')
        .type('form')
        .send({ username: 'admin@acme.test', password: 'admin-password' });
      expect(login.status).toBe(401);
      expect(login.headers['set-cookie']).toBeUndefined();
      const token = await request(url)
        .post('/oauth/token')
        .auth('demo-backend', 'demo-backend-secret-change-me-0123456789')
        .type('form')
        .send({ grant_type: 'client_credentials', scope: 'notes:read' });
      expect(token.status).toBe(401);
      expect(token.body.error).toBe('invalid_client');
    } finally {
      await run.stop();
    }
  }, 60_000);
});
