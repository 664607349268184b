import { parseScope } from '@rampart/auth';
import type { OAuthClient } from '../clients/oauth-client';
import { OAuthError } from '../oauth.errors';

// What a grant covers, as requested: its scopes (RFC 6749 §3.3) and its resources (RFC 8707).

function sameMembers(a: readonly string[], allowed: readonly string[]): boolean {
  return a.every((item) => allowed.includes(item));
}

/** The scopes a client asks for, among those it may have; its default scopes when it names none. */
export function requestedScopes(scope: string | undefined, client: OAuthClient): readonly string[] {
  if (scope === undefined) return client.defaultScopes;
  const scopes = parseScope(scope);
  if (!scopes) throw new OAuthError('invalid_scope', 'The scope parameter is malformed.', 'scope_malformed');
  if (!sameMembers(scopes, client.scopes)) {
    throw new OAuthError('invalid_scope', 'The requested scope is not allowed for this client.', 'scope_not_allowed');
  }
  return [...new Set(scopes)];
}

/** RFC 6749 §6: a refresh may narrow the scope, never widen it. */
export function narrowScopes(scope: string, granted: readonly string[]): readonly string[] {
  const scopes = parseScope(scope);
  if (!scopes || !sameMembers(scopes, granted)) {
    throw new OAuthError('invalid_scope', 'The requested scope exceeds the scope granted.', 'scope_widened');
  }
  return [...new Set(scopes)];
}

/** RFC 8707: each `resource` must be one this server issues for (and, later, one granted). */
export function requestedResources(
  requested: readonly string[],
  allowed: readonly string[],
  fallback: readonly string[],
): readonly string[] {
  if (requested.length === 0) return fallback;
  if (requested.length > 10 || !sameMembers(requested, allowed)) {
    throw new OAuthError('invalid_target', 'The requested resource is unknown or not granted.', 'resource_not_allowed');
  }
  return [...new Set(requested)];
}
