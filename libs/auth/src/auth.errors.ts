import type { SecurityPrincipal } from '@rampart/core';
import { ForbiddenError, UnauthorizedError } from '@rampart/errors';

/**
 * One message for every authentication failure: whether the token expired, the key was revoked
 * or the user does not exist is for the security log (`reason`), never for the client.
 */
const UNAUTHORIZED_DETAIL = 'Authentication failed: send a valid access token or API key.';

export type Scheme = 'Bearer' | 'DPoP' | 'ApiKey';

/** What a refusal's challenges say: the error, on which scheme, and the DPoP algorithms. */
export interface ChallengeDetails {
  /** The scheme the error concerns (the one the client used); without it, every scheme's challenge carries it. */
  readonly scheme?: Scheme;
  /** `algs` of the DPoP challenge (RFC 9449 §7.1). */
  readonly dpopAlgorithms?: readonly string[];
  /** The nonce the next proof must carry (`DPoP-Nonce`, RFC 9449 §9). */
  readonly dpopNonce?: string;
}

/** `WWW-Authenticate` challenges (RFC 6750 §3, RFC 9449 §7.1), one per scheme the route accepts. */
function challenge(
  schemes: readonly Scheme[],
  realm: string,
  error?: string,
  extra = '',
  details: ChallengeDetails = {},
): string {
  return schemes
    .map((scheme) => {
      const withError = error !== undefined && (details.scheme === undefined || details.scheme === scheme);
      const algs = scheme === 'DPoP' && details.dpopAlgorithms ? `, algs="${details.dpopAlgorithms.join(' ')}"` : '';
      return `${scheme} realm="${realm}"${withError ? `, error="${error}"` : ''}${scheme === 'Bearer' ? extra : ''}${algs}`;
    })
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
  error: 'invalid_token' | 'invalid_request' | 'invalid_dpop_proof' | 'use_dpop_nonce' | undefined,
  principal?: SecurityPrincipal,
  details: ChallengeDetails = {},
): UnauthorizedError {
  return new UnauthorizedError(UNAUTHORIZED_DETAIL, {
    reason,
    headers: {
      'WWW-Authenticate': challenge(schemes, realm, error, '', details),
      ...(details.dpopNonce === undefined ? {} : { 'DPoP-Nonce': details.dpopNonce }),
    },
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
