import { Inject, Injectable } from '@nestjs/common';
import { RAMPART_STORE, type Store } from '@rampart/core';
import { createHash, randomBytes } from 'node:crypto';

export const SESSION_COOKIE = 'rampart_session';
const SESSION_TTL_MS = 60 * 60 * 1000;
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

type CookieRequest = { headers: Record<string, string | string[] | undefined> };

/** The value of cookie `name`, or undefined. */
function cookie(req: CookieRequest, name: string): string | undefined {
  const header = req.headers.cookie;
  if (typeof header !== 'string' || header.length > 8192) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

const keyOf = (id: string): string => `sample:session:${createHash('sha256').update(id).digest('base64url')}`;

/**
 * The login session of the sample's HTML login form: a random id in an HttpOnly, SameSite=Lax
 * cookie, the user id in the Store under the id's hash (a Store dump yields no usable session).
 */
@Injectable()
export class SampleSessions {
  constructor(@Inject(RAMPART_STORE) private readonly store: Store) {}

  /** Starts a session; returns the `Set-Cookie` value. */
  async start(userId: string, secure: boolean): Promise<string> {
    const id = randomBytes(32).toString('base64url');
    await this.store.set(keyOf(id), userId, { ttlMs: SESSION_TTL_MS });
    return `${SESSION_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${SESSION_TTL_MS / 1000}${secure ? '; Secure' : ''}`;
  }

  async userIdOf(req: CookieRequest): Promise<string | undefined> {
    const id = cookie(req, SESSION_COOKIE);
    if (id === undefined || !SESSION_ID.test(id)) return undefined;
    return this.store.get(keyOf(id));
  }

  /** The `Set-Cookie` value that removes the session cookie from the browser. */
  clearCookie(secure: boolean): string {
    return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0${secure ? '; Secure' : ''}`;
  }

  async end(req: CookieRequest): Promise<void> {
    const id = cookie(req, SESSION_COOKIE);
    if (id !== undefined && SESSION_ID.test(id)) await this.store.delete(keyOf(id));
  }
}

/** Consent decisions of the demo users, per client and scope set. */
@Injectable()
export class SampleConsents {
  constructor(@Inject(RAMPART_STORE) private readonly store: Store) {}

  private key(userId: string, clientId: string): string {
    return `sample:consent:${userId}:${clientId}`;
  }

  async grant(userId: string, clientId: string, scopes: readonly string[]): Promise<void> {
    await this.store.set(this.key(userId, clientId), scopes.join(' '), { ttlMs: 30 * 24 * 3600 * 1000 });
  }

  async covers(userId: string, clientId: string, scopes: readonly string[]): Promise<boolean> {
    const granted = (await this.store.get(this.key(userId, clientId)))?.split(' ') ?? [];
    return scopes.every((scope) => granted.includes(scope));
  }
}
