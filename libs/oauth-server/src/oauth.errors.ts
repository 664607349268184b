/**
 * The error codes of RFC 6749 §4.1.2.1 and §5.2, RFC 7009 §2.2.1 and RFC 8707 §2. Public API:
 * clients match on them.
 * @publicApi
 */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'unsupported_response_type'
  | 'invalid_scope'
  | 'invalid_target'
  | 'access_denied'
  | 'unsupported_token_type'
  | 'temporarily_unavailable'
  | 'server_error'
  /** RFC 9449 §5: the DPoP proof is missing, invalid, replayed or of another key. */
  | 'invalid_dpop_proof'
  /** RFC 9449 §8: sign the proof again with the nonce of the `DPoP-Nonce` header. */
  | 'use_dpop_nonce';

/**
 * An OAuth protocol error, answered as `{ "error": ..., "error_description": ... }` (or as an
 * error redirect from the authorization endpoint), never as problem+json: standards clients parse
 * the RFC 6749 shape. `reason` is for the security event only.
 * @publicApi
 * @example
 * throw new OAuthError('invalid_grant', 'The authorization code is invalid or expired.', 'code_expired');
 */
export class OAuthError extends Error {
  constructor(
    readonly error: OAuthErrorCode,
    readonly description: string,
    readonly reason: string = error,
    /** For `temporarily_unavailable`: the `Retry-After` of the 503. */
    readonly retryAfterSeconds?: number,
  ) {
    super(description);
    this.name = 'OAuthError';
  }

  /** RFC 6749 §5.2: `invalid_client` is 401, the rest of the token endpoint's errors 400. */
  get status(): number {
    return this.error === 'invalid_client' ? 401 : this.error === 'temporarily_unavailable' ? 503 : 400;
  }

  toJSON(): { error: OAuthErrorCode; error_description: string } {
    return { error: this.error, error_description: oauthErrorDescription(this.description) };
  }
}

/**
 * RFC 6749 §5.2: `error_description` is printable ASCII without `"` and `\` (clients may reject
 * anything else). Quotes become apostrophes, an ellipsis three dots, anything else outside the
 * set is dropped.
 */
export function oauthErrorDescription(text: string): string {
  return text
    .replaceAll('"', "'")
    .replaceAll('\\', '/')
    .replaceAll('\u2026', '...')
    .replace(/[^\x20\x21\x23-\x5B\x5D-\x7E]/g, '');
}
