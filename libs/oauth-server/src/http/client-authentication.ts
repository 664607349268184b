import { decodeJwt, type JWTPayload } from 'jose';
import type { OAuthClientRegistry } from '../clients/client-registry';
import { isValidClientId, secretMatches, type OAuthClient } from '../clients/oauth-client';
import { OAuthError } from '../oauth.errors';
import { JWT_BEARER_ASSERTION, type ClientAssertions } from './client-assertions';
import type { OAuthParams } from './params';

/** How the client proved who it is (RFC 8414 `token_endpoint_auth_methods_supported`). */
export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'none';

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

/** The client id an assertion names (`sub`, which must equal `iss`); verified afterwards. */
function assertedClientId(assertion: string): string {
  let claims: JWTPayload;
  try {
    claims = decodeJwt(assertion);
  } catch {
    throw badClient('assertion_malformed');
  }
  if (typeof claims.sub !== 'string' || claims.sub !== claims.iss) throw badClient('assertion_iss_sub_mismatch');
  return claims.sub;
}

/** `private_key_jwt` (RFC 7523 §2.2): the client named by the assertion, if its key signed it. */
async function authenticateByAssertion(
  params: OAuthParams,
  registry: OAuthClientRegistry,
  assertions: ClientAssertions | undefined,
): Promise<AuthenticatedClient> {
  if (params.get('client_secret') !== undefined) {
    throw new OAuthError('invalid_request', 'Use one client authentication method, not two.', 'two_auth_methods');
  }
  if (params.get('client_assertion_type') !== JWT_BEARER_ASSERTION) throw badClient('assertion_type_unsupported');
  const assertion = params.require('client_assertion');
  if (!assertions) throw badClient('private_key_jwt_unsupported');
  const id = assertedClientId(assertion);
  const bodyId = params.get('client_id');
  if (bodyId !== undefined && bodyId !== id) {
    throw new OAuthError('invalid_request', 'client_id differs from the authenticated client.', 'client_id_mismatch');
  }
  const client = isValidClientId(id) ? await registry.find(id) : undefined;
  if (client?.authMethod !== 'private_key_jwt')
    throw badClient(client ? 'auth_method_not_registered' : 'unknown_client');
  await assertions.verify(assertion, client);
  return { client, method: 'private_key_jwt' };
}

/**
 * Authenticates the client of a token, revocation, introspection or pushed authorization request:
 * HTTP Basic or `client_secret` in the body (OAuth 2.1 §2.4.1 requires both), `private_key_jwt`
 * (RFC 7523), or a public client's bare `client_id`. Using two methods at once is
 * `invalid_request` (RFC 6749 §2.3); a client registered for `private_key_jwt` has no other.
 */
export async function authenticateClient(
  params: OAuthParams,
  authorization: string | undefined,
  registry: OAuthClientRegistry,
  assertions?: ClientAssertions,
): Promise<AuthenticatedClient> {
  const basicSent = authorization !== undefined && /^basic /i.test(authorization.slice(0, 6));
  if (params.has('client_assertion') || params.has('client_assertion_type')) {
    if (basicSent) {
      throw new OAuthError('invalid_request', 'Use one client authentication method, not two.', 'two_auth_methods');
    }
    return authenticateByAssertion(params, registry, assertions);
  }
  const bodyId = params.get('client_id');
  const bodySecret = params.get('client_secret');
  let id: string;
  let secret: string | undefined;
  let method: ClientAuthMethod;
  if (basicSent) {
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
