import type { OAuthClientRegistration } from '@rampart/oauth-server';
import type { JSONWebKeySet } from 'jose';

/** Scopes the demo clients may ask for: the sample API's. */
export const DEMO_SCOPES = ['notes:read', 'notes:write', 'profile'];

/**
 * The sample API's OAuth clients (see libs/oauth-server/README.md):
 * - `demo-spa`: a first-party single-page app (public: no secret, PKCE), no consent screen.
 *   Redirects to exactly its registered URIs, port included: a web client gets no loopback port
 *   flexibility, or any local program could listen on another port and take a signed-in user's
 *   tokens without a prompt.
 * - `demo-cli`: a first-party native app (a command-line tool, RFC 8252): its loopback redirect URI
 *   matches on any port (§7.3), since it listens on whatever port the OS gives it.
 * - `demo-dpop-spa`: the same SPA with DPoP-bound (sender-constrained) tokens (RFC 9449).
 * - `demo-partner`: a confidential backend that authenticates with `private_key_jwt` (RFC 7523):
 *   it holds a private key, the server only its public JWKS; client credentials and introspection.
 * - `demo-remote-partner` (only with `OAUTH_DEMO_REMOTE_JWKS_URI`): the same, with its public keys
 *   fetched from its `jwks_uri` (cached; a new `kid` fetches again, at most once a minute).
 * - `demo-backend`: a third-party confidential web backend (`client_secret_basic`/`_post`): the
 *   user is asked for consent; it may also use client credentials and introspect tokens.
 */
/**
 * The clients of the FAPI 2.0 profile (`OAUTH_PROFILE=fapi2`): one confidential first-party web
 * backend, `private_key_jwt` with the demo partner key, https redirect URIs; its tokens are DPoP-bound.
 */
export function fapi2DemoClients(partnerJwks: JSONWebKeySet): OAuthClientRegistration[] {
  return [
    {
      id: 'demo-fapi',
      name: 'Demo FAPI 2.0 client',
      type: 'confidential',
      firstParty: true,
      jwks: partnerJwks,
      redirectUris: ['https://fapi.example.test/callback'],
      grantTypes: ['authorization_code', 'refresh_token'],
      scopes: DEMO_SCOPES,
      defaultScopes: ['notes:read'],
      // FAPI 2.0: no rotation for a confidential client (its refresh token is bound by
      // private_key_jwt and DPoP already; a lost refresh response must not end the grant).
      refreshTokenRotation: false,
    },
  ];
}

export function demoClients(
  backendSecret: string,
  partnerJwks: JSONWebKeySet,
  remoteJwksUri?: string,
): OAuthClientRegistration[] {
  return [
    ...(remoteJwksUri === undefined
      ? []
      : [
          {
            // A partner that publishes its keys at a URL (RFC 7591 jwks_uri) and rotates them there.
            id: 'demo-remote-partner',
            name: 'Demo partner (private_key_jwt, jwks_uri)',
            type: 'confidential' as const,
            jwksUri: remoteJwksUri,
            grantTypes: ['client_credentials' as const],
            scopes: DEMO_SCOPES,
            defaultScopes: ['notes:read'],
          },
        ]),
    {
      id: 'demo-spa',
      name: 'Rampart demo SPA',
      type: 'public',
      firstParty: true,
      redirectUris: ['http://localhost:5173/callback', 'http://127.0.0.1/callback'],
      grantTypes: ['authorization_code', 'refresh_token'],
      scopes: DEMO_SCOPES,
      defaultScopes: ['notes:read'],
    },
    {
      id: 'demo-cli',
      name: 'Rampart demo CLI',
      type: 'public',
      applicationType: 'native',
      firstParty: true,
      redirectUris: ['http://127.0.0.1/cli/callback'],
      grantTypes: ['authorization_code', 'refresh_token'],
      scopes: ['notes:read', 'profile'],
      defaultScopes: ['notes:read'],
    },
    {
      // The same SPA with sender-constrained tokens: every token request carries a DPoP proof, its
      // access tokens are `DPoP` tokens and its refresh tokens are bound to its key (RFC 9449).
      id: 'demo-dpop-spa',
      name: 'Rampart demo SPA (DPoP)',
      type: 'public',
      firstParty: true,
      dpopBoundAccessTokens: true,
      redirectUris: ['http://localhost:5173/callback', 'http://127.0.0.1/dpop/callback'],
      grantTypes: ['authorization_code', 'refresh_token'],
      scopes: DEMO_SCOPES,
      defaultScopes: ['notes:read'],
    },
    {
      id: 'demo-backend',
      name: 'Demo partner backend',
      type: 'confidential',
      secret: backendSecret,
      redirectUris: ['https://backend.example.test/oauth/callback', 'http://127.0.0.1/backend/callback'],
      grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
      scopes: DEMO_SCOPES,
      defaultScopes: ['notes:read'],
      canIntrospect: true,
    },
    {
      id: 'demo-partner',
      name: 'Demo partner (private_key_jwt)',
      type: 'confidential',
      jwks: partnerJwks,
      redirectUris: ['https://partner.example.test/oauth/callback', 'http://127.0.0.1/partner/callback'],
      grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
      scopes: DEMO_SCOPES,
      defaultScopes: ['notes:read'],
      canIntrospect: true,
    },
  ];
}
