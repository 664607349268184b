import type { ExecutionContext } from '@nestjs/common';
import { getRequestContext, getRequestState, routeOf } from '@rampart/core';
import { createHash } from 'node:crypto';
import type { RateLimitKey, RateLimitKeyPart } from './rate-limit.options';

/**
 * What authentication leaves on the request (Rampart's auth lib sets both; any guard may). Only
 * the `id` is read: it must be a stable identifier, never a credential.
 */
export interface IdentifiedRequest {
  user?: { id?: unknown } | null;
  apiKey?: { id?: unknown } | null;
}

const SAFE = /^[A-Za-z0-9._:@/ -]{1,64}$/;

/**
 * Keys come from client input: long or unusual values are hashed, so a key stays short (bounded
 * memory) and can never contain a brace that would move the Redis Cluster hash tag.
 */
function safe(value: string): string {
  return SAFE.test(value) ? value : `#${createHash('sha256').update(value).digest('base64url').slice(0, 22)}`;
}

function idOf(holder: { id?: unknown } | null | undefined): string | undefined {
  const id = holder?.id;
  if (typeof id === 'string' && id.length > 0) return safe(id);
  if (typeof id === 'number' && Number.isFinite(id)) return String(id);
  return undefined;
}

function ipKey(req: object): string {
  return `ip:${safe(getRequestContext(req).clientKey)}`;
}

/**
 * Who authentication identified: core's request state (Rampart's auth lib, or any authenticator
 * registered in the `authenticate` phase), else `request.user` / `request.apiKey` as set by a
 * guard of the application's own.
 */
function identityOf(req: object): IdentifiedRequest {
  const state = getRequestState(req);
  if (state.user !== undefined || state.apiKey !== undefined) return state;
  return req;
}

/** Whether a key is known before authentication (IP, route), so it can limit failed credentials too. */
export function isPreAuthenticationKey(key: RateLimitKey): boolean {
  if (typeof key === 'function') return false;
  const parts: readonly RateLimitKeyPart[] = typeof key === 'string' ? [key] : key;
  return parts.every((p) => p === 'ip' || p === 'route');
}

/** Whether a key reads the authenticated caller. */
export function needsAuthentication(key: RateLimitKey): boolean {
  if (typeof key === 'function') return false;
  const parts: readonly RateLimitKeyPart[] = typeof key === 'string' ? [key] : key;
  return parts.some((p) => p === 'user' || p === 'apiKey');
}

function part(name: RateLimitKeyPart, req: object): string {
  const identified = identityOf(req);
  switch (name) {
    case 'ip':
      return ipKey(req);
    case 'user': {
      // An anonymous caller is limited by IP; the prefixes keep a user id from posing as an IP.
      const id = idOf(identified.user);
      return id === undefined ? ipKey(req) : `user:${id}`;
    }
    case 'apiKey': {
      const id = idOf(identified.apiKey);
      return id === undefined ? ipKey(req) : `apiKey:${id}`;
    }
    case 'route':
      return `route:${safe(routeOf(req))}`;
  }
}

/** The identity a policy limits, for this request (a promise only for a function key). */
export function resolveKey(key: RateLimitKey, req: object, context: ExecutionContext): string | Promise<string> {
  if (typeof key === 'function') {
    return Promise.resolve(key(context)).then((value) =>
      value === undefined || value === '' ? ipKey(req) : `fn:${safe(value)}`,
    );
  }
  if (typeof key === 'string') return part(key, req);
  return key.map((name) => part(name, req)).join('|');
}
