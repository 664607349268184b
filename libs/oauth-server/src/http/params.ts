import { OAuthError } from '../oauth.errors';

/** Longest value of any OAuth parameter: a long redirect URI or scope list fits, a megabyte does not. */
const MAX_VALUE_LENGTH = 2048;
const MAX_PARAMETERS = 30;

/**
 * The parameters of one OAuth request. RFC 6749 §3.1/§3.2: a parameter MUST NOT be included more
 * than once (an attacker who can append `&redirect_uri=` to a URL must not get to choose which
 * copy wins), and an empty value counts as absent. Only `resource` repeats (RFC 8707).
 */
export class OAuthParams {
  private constructor(private readonly values: ReadonlyMap<string, readonly string[]>) {}

  /** From a query string (authorization endpoint), parsed here so both platforms agree. */
  static fromQuery(query: string): OAuthParams {
    const values = new Map<string, string[]>();
    let count = 0;
    for (const [name, value] of new URLSearchParams(query)) {
      if (++count > MAX_PARAMETERS) throw new OAuthError('invalid_request', 'Too many parameters.', 'too_many_params');
      OAuthParams.add(values, name, value);
    }
    return new OAuthParams(values);
  }

  /** From a parsed `application/x-www-form-urlencoded` body (token, revocation, introspection). */
  static fromBody(body: unknown): OAuthParams {
    const values = new Map<string, string[]>();
    if (body === undefined || body === null) return new OAuthParams(values);
    if (typeof body !== 'object' || Array.isArray(body)) {
      throw new OAuthError('invalid_request', 'Send the parameters as application/x-www-form-urlencoded.', 'bad_body');
    }
    const entries = Object.entries(body as Record<string, unknown>);
    if (entries.length > MAX_PARAMETERS)
      throw new OAuthError('invalid_request', 'Too many parameters.', 'too_many_params');
    for (const [name, value] of entries) {
      // Body parsers turn a repeated field into an array and `a[b]=c` into an object.
      const list = Array.isArray(value) ? (value as unknown[]) : [value];
      for (const item of list) {
        if (typeof item !== 'string') {
          throw new OAuthError(
            'invalid_request',
            `The parameter "${OAuthParams.safeName(name)}" is malformed.`,
            'bad_param',
          );
        }
        OAuthParams.add(values, name, item);
      }
    }
    return new OAuthParams(values);
  }

  private static add(values: Map<string, string[]>, name: string, value: string): void {
    if (value.length > MAX_VALUE_LENGTH) {
      throw new OAuthError(
        'invalid_request',
        `The parameter "${OAuthParams.safeName(name)}" is too long.`,
        'param_too_long',
      );
    }
    if (value === '') return;
    const list = values.get(name);
    if (list) list.push(value);
    else values.set(name, [value]);
  }

  /** A name fit to repeat in an error message. */
  private static safeName(name: string): string {
    return /^[a-z_]{1,40}$/.test(name) ? name : 'unknown';
  }

  /** The single value of `name`; a repeated parameter is `invalid_request`. */
  get(name: string): string | undefined {
    const list = this.values.get(name);
    if (list && list.length > 1) {
      throw new OAuthError('invalid_request', `The parameter "${name}" is repeated.`, 'duplicate_param');
    }
    return list?.[0];
  }

  require(name: string): string {
    const value = this.get(name);
    if (value === undefined)
      throw new OAuthError('invalid_request', `The parameter "${name}" is missing.`, 'missing_param');
    return value;
  }

  /** Every value of a parameter that may repeat (`resource`). */
  all(name: string): readonly string[] {
    return this.values.get(name) ?? [];
  }

  has(name: string): boolean {
    return this.values.has(name);
  }
}
