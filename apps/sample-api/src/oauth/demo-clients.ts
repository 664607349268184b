import type { OAuthClientRegistration } from '@rampart/oauth-server';
import type { JSONWebKeySet } from 'jose';

/** Scopes the demo clients may ask for: the sample API's. */
export const DEMO_SCOPES = ['notes:read', 'notes:write', 'profile'];

/**
 * The sample API's OAuth clients (see libs/auth/README.md, "OAuth 2.1 server"):
 * - `demo-spa`: a first-party single-page app (public: no secret, PKCE), no consent screen.
 *   Redirects to the Vite dev server, or to any port of 127.0.0.1 (RFC 8252 loopback).
 * - `demo-dpop-spa`: the same SPA with DPoP-bound (sender-constrained) tokens (RFC 9449).
 * - `demo-partner`: a confidential backend that authenticates with `private_key_jwt` (RFC 7523):
 *   it holds a private key, the server only its public JWKS; client credentials and introspection.
 * - `demo-backend`: a third-party confidential web backend (`client_secret_basic`/`_post`): the
 *   user is asked for consent; it may also use client credentials and introspect tokens.
 */
export function demoClients(backendSecret: string, partnerJwks: JSONWebKeySet): OAuthClientRegistration[] {
  return [
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
