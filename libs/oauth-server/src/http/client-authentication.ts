import type { OAuthClientRegistry } from '../clients/client-registry';
import { isValidClientId, secretMatches, type OAuthClient } from '../clients/oauth-client';
import { OAuthError } from '../oauth.errors';
import type { OAuthParams } from './params';

/** How the client proved who it is (RFC 8414 `token_endpoint_auth_methods_supported`). */
export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'none';

export interface AuthenticatedClient {
  readonly client: OAuthClient;
  readonly method: ClientAuthMethod;
}

/** RFC 6749 §2.3.1: Basic credentials are form-urlencoded before base64. */
function formDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

/** One answer for every failure, so the response does not tell which client ids exist. */
function badClient(reason: string): OAuthError {
  return new OAuthError('invalid_client', 'Client authentication failed.', reason);
}

function parseBasic(header: string): { id: string; secret: string } {
  const encoded = header.slice(6).trim();
  if (encoded.length > 4096 || !/^[A-Za-z0-9+/]+=*$/.test(encoded)) throw badClient('basic_malformed');
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw badClient('basic_malformed');
  const id = formDecode(decoded.slice(0, colon));
  const secret = formDecode(decoded.slice(colon + 1));
  if (id === undefined || secret === undefined || id === '') throw badClient('basic_malformed');
  return { id, secret };
}

/**
 * Authenticates the client of a token, revocation or introspection request: HTTP Basic or
 * `client_secret` in the body (OAuth 2.1 §2.4.1 requires both), or a public client's bare
 * `client_id`. Using two methods at once is `invalid_request` (RFC 6749 §2.3).
 */
export async function authenticateClient(
  params: OAuthParams,
  authorization: string | undefined,
  registry: OAuthClientRegistry,
): Promise<AuthenticatedClient> {
  const bodyId = params.get('client_id');
  const bodySecret = params.get('client_secret');
  let id: string;
  let secret: string | undefined;
  let method: ClientAuthMethod;
  const basic = authorization !== undefined && /^basic /i.test(authorization.slice(0, 6));
  if (basic) {
    if (bodySecret !== undefined) {
      throw new OAuthError('invalid_request', 'Use one client authentication method, not two.', 'two_auth_methods');
    }
    ({ id, secret } = parseBasic(authorization));
    if (bodyId !== undefined && bodyId !== id) {
      throw new OAuthError('invalid_request', 'client_id differs from the authenticated client.', 'client_id_mismatch');
    }
    method = 'client_secret_basic';
  } else {
    if (bodyId === undefined) throw badClient('client_id_missing');
    id = bodyId;
    secret = bodySecret;
    method = secret === undefined ? 'none' : 'client_secret_post';
  }
  const client = isValidClientId(id) ? await registry.find(id) : undefined;
  if (method === 'none') {
    // A confidential client that sends no secret is not authenticated (RFC 6749 §3.2.1).
    if (client?.type !== 'public') throw badClient(client ? 'secret_missing' : 'unknown_client');
    return { client, method };
  }
  // Compared even for an unknown or public client, so timing does not reveal which ids exist.
  const matches = secretMatches(client?.type === 'confidential' ? client : undefined, secret ?? '');
  if (!client) throw badClient('unknown_client');
  if (client.type === 'public') throw badClient('public_client_with_secret');
  if (!matches) throw badClient('secret_mismatch');
  return { client, method };
}
