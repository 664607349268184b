import { createServer, type Server as NetServer } from 'node:net';
import { expect } from 'vitest';

/**
 * A listening socket on a port of its own, held until the app takes it over: the issuer (and so the
 * port) must be known before the app is built, and a port closed and opened again meanwhile can be
 * taken by any socket of the tests running in parallel.
 */
export function reservePort(): Promise<NetServer> {
  return new Promise((resolve, reject) => {
    const reserved = createServer();
    reserved.once('error', reject);
    reserved.listen(0, '127.0.0.1', () => {
      resolve(reserved);
    });
  });
}

/** Follows the sample API's login form as a browser would, with fetch and manual redirects. */
export async function signIn(authorizationUrl: URL, issuer: string): Promise<URL> {
  const first = await fetch(authorizationUrl, { redirect: 'manual' });
  expect(first.status).toBe(302);
  const loginPage = new URL(first.headers.get('location') ?? '', issuer);
  const returnTo = loginPage.searchParams.get('return_to') ?? '';
  const form = await fetch(new URL('/oauth/login', issuer), {
    method: 'POST',
    redirect: 'manual',
    body: new URLSearchParams({ username: 'alice@acme.test', password: 'alice-password', return_to: returnTo }),
  });
  expect(form.status).toBe(302);
  const cookie = (form.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const back = await fetch(new URL(form.headers.get('location') ?? '', issuer), {
    redirect: 'manual',
    headers: { cookie },
  });
  expect(back.status).toBe(302);
  return new URL(back.headers.get('location') ?? '');
}
