import type { SecurityPrincipal } from '@rampart/core';
import { ForbiddenError, UnauthorizedError } from '@rampart/errors';

/**
 * One message for every authentication failure: whether the token expired, the key was revoked
 * or the user does not exist is for the security log (`reason`), never for the client.
 */
const UNAUTHORIZED_DETAIL = 'Authentication failed: send a valid access token or API key.';

export type Scheme = 'Bearer' | 'ApiKey';

/** `WWW-Authenticate` challenges (RFC 6750 §3), one per scheme the route accepts. */
function challenge(schemes: readonly Scheme[], realm: string, error?: string, extra = ''): string {
  return schemes
    .map(
      (scheme) => `${scheme} realm="${realm}"${error ? `, error="${error}"` : ''}${scheme === 'Bearer' ? extra : ''}`,
    )
    .join(', ');
}

/**
 * 401. With no credential at all, the challenge carries no error code (RFC 6750 §3.1);
 * a malformed request gets `invalid_request`, a bad credential `invalid_token`.
 */
export function authenticationFailed(
  schemes: readonly Scheme[],
  realm: string,
  reason: string,
  error: 'invalid_token' | 'invalid_request' | undefined,
  principal?: SecurityPrincipal,
): UnauthorizedError {
  return new UnauthorizedError(UNAUTHORIZED_DETAIL, {
    reason,
    headers: { 'WWW-Authenticate': challenge(schemes, realm, error) },
    ...(principal === undefined ? {} : { principal }),
  });
}

/** 403 `insufficient_scope` naming the scopes the route needs (RFC 6750 §3.1). */
export function insufficientScope(
  required: readonly string[],
  anyOf: boolean,
  realm: string,
  principal: SecurityPrincipal | undefined,
): ForbiddenError {
  const scope = required.join(' ');
  return new ForbiddenError(
    `The credential lacks the scope this operation needs: ${anyOf ? 'one of' : 'all of'} "${scope}".`,
    {
      reason: 'insufficient_scope',
      headers: { 'WWW-Authenticate': challenge(['Bearer'], realm, 'insufficient_scope', `, scope="${scope}"`) },
      extensions: { requiredScopes: [...required], scopeMatch: anyOf ? 'any' : 'all' },
      ...(principal === undefined ? {} : { principal }),
    },
  );
}

export function roleRequired(principal: SecurityPrincipal | undefined): ForbiddenError {
  return new ForbiddenError('You are not allowed to do this.', {
    reason: 'role_required',
    ...(principal === undefined ? {} : { principal }),
  });
}
