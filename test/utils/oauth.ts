import { createHash, randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import request from 'supertest';
import { expect } from 'vitest';

/** The demo SPA (public) and the demo backend (confidential) of the sample API. */
export const SPA = { id: 'demo-spa', redirectUri: 'http://127.0.0.1/callback' } as const;
/** The native demo CLI (public): its loopback redirect URI matches on any port (RFC 8252 §7.3). */
export const CLI = { id: 'demo-cli', redirectUri: 'http://127.0.0.1/cli/callback' } as const;
export const BACKEND = {
  id: 'demo-backend',
  secret: 'demo-backend-secret-change-me-0123456789',
  redirectUri: 'http://127.0.0.1/backend/callback',
} as const;

export interface Pkce {
  verifier: string;
  challenge: string;
}

export function pkce(): Pkce {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

export interface AuthorizeResult {
  /** The final redirect to the client. */
  location: URL;
  code: string | null;
  pkce: Pkce;
}

/** Query of an authorization request of the SPA, with overrides (`undefined` removes a parameter). */
export function authorizeQuery(
  challenge: string,
  overrides: Record<string, string | undefined> = {},
  client: { id: string; redirectUri: string } = SPA,
): string {
  const params: Record<string, string | undefined> = {
    response_type: 'code',
    client_id: client.id,
    redirect_uri: client.redirectUri,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    scope: 'notes:read profile',
    state: 'state-123',
    ...overrides,
  };
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined) query.append(name, value);
  return query.toString();
}

/** Signs in on the sample's login form; returns the session cookie and where the form redirects. */
export async function login(
  server: Server,
  returnTo: string,
  username = 'alice@acme.test',
  password = 'alice-password',
): Promise<{ cookie: string; location: string }> {
  const res = await request(server).post('/oauth/login').type('form').send({ username, password, return_to: returnTo });
  if (res.status !== 302) throw new Error(`login answered ${res.status}: ${res.text}`);
  const setCookie = (res.headers['set-cookie'] as unknown as string[] | undefined)?.[0] ?? '';
  return { cookie: setCookie.split(';')[0] ?? '', location: res.headers.location as string };
}

/**
 * The browserless flow: authorize → 302 login → POST the form → 302 back → 302 to the client's
 * redirect URI with `code`, `state` and `iss`.
 */
export async function authorize(
  server: Server,
  overrides: Record<string, string | undefined> = {},
  options: { client?: { id: string; redirectUri: string }; username?: string; password?: string; pkce?: Pkce } = {},
): Promise<AuthorizeResult> {
  const codes = options.pkce ?? pkce();
  const first = await request(server).get(
    `/oauth/authorize?${authorizeQuery(codes.challenge, overrides, options.client)}`,
  );
  if (first.status !== 302) throw new Error(`authorize answered ${first.status}: ${first.text}`);
  let location = first.headers.location as string;
  if (location.startsWith('/oauth/login')) {
    const returnTo = new URL(location, 'http://x').searchParams.get('return_to') ?? '';
    const { cookie, location: back } = await login(server, returnTo, options.username, options.password);
    const resumed = await request(server).get(back).set('Cookie', cookie);
    if (resumed.status !== 302) throw new Error(`resume answered ${resumed.status}: ${resumed.text}`);
    location = resumed.headers.location as string;
  }
  const url = new URL(location, 'http://relative.invalid');
  return { location: url, code: url.searchParams.get('code'), pkce: codes };
}

/** The sample's public DPoP SPA client (one of its registered redirect URIs). */
export const DPOP_SPA = { id: 'demo-dpop-spa', redirectUri: 'http://127.0.0.1/dpop/callback' } as const;

/** A fresh code of `client` (the DPoP SPA by default) and the token-endpoint form that redeems it. */
export async function freshCodeForm(
  server: Server,
  client: { id: string; redirectUri: string } = DPOP_SPA,
): Promise<Record<string, string>> {
  const { code, pkce: codes } = await authorize(server, {}, { client });
  return {
    grant_type: 'authorization_code',
    code: code ?? '',
    code_verifier: codes.verifier,
    redirect_uri: client.redirectUri,
    client_id: client.id,
  };
}

/** POSTs a form to the token endpoint (or another form endpoint). */
export function postForm(
  server: Server,
  path: string,
  form: Record<string, string>,
  authorization?: string,
): request.Test {
  const req = request(server).post(path).type('form');
  if (authorization) req.set('Authorization', authorization);
  return req.send(form);
}

/** Exchanges a code of the SPA. */
export function exchange(
  server: Server,
  code: string,
  verifier: string,
  extra: Record<string, string> = {},
): request.Test {
  return postForm(server, '/oauth/token', {
    grant_type: 'authorization_code',
    code,
    code_verifier: verifier,
    redirect_uri: SPA.redirectUri,
    client_id: SPA.id,
    ...extra,
  });
}

/** An RFC 6749 §5.2 error answer: JSON, never cached, with `error`. */
export function expectOAuthError(res: request.Response, status: number, error: string): void {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.headers['cache-control']).toBe('no-store');
  expect(res.body.error).toBe(error);
}
