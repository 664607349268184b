import type { ErrorRenderer } from '@rampart/errors';
import { oauthErrorDescription, type OAuthErrorCode } from '../oauth.errors';

/** The error code a client acts on, for a refusal made by a layer that knows nothing of OAuth. */
function errorCodeOf(status: number): OAuthErrorCode {
  // Both say "retry later" (with Retry-After): the one RFC 6749 code that means it.
  if (status === 429 || status === 503) return 'temporarily_unavailable';
  if (status >= 500) return 'server_error';
  // A request limit, a body the parser refused, a threat block: the request as sent is not acceptable.
  return 'invalid_request';
}

/**
 * RFC 6749 §5.2 JSON for every refusal on the token, revocation, introspection and PAR endpoints,
 * whichever layer made it (request limits 413/414/415/400, rate limit 429, outage 503, a threat
 * block 403): standard clients parse `error`, not problem+json. The status and headers
 * (`Retry-After`) stay those of the refusal; the description is the refusal's fixed wording.
 */
export const renderOAuthError: ErrorRenderer = (problem) => ({
  status: problem.status,
  contentType: 'application/json; charset=utf-8',
  body: JSON.stringify({
    error: errorCodeOf(problem.status),
    error_description: oauthErrorDescription(
      problem.internal ? 'The authorization server could not complete the request.' : problem.detail,
    ),
  }),
});
