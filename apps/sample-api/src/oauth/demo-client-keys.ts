import type { JSONWebKeySet, JWK } from 'jose';

/**
 * The demo `private_key_jwt` client's key pair. PUBLISHED in this repository, like the demo users'
 * passwords: anyone can sign as `demo-partner`, so the sample refuses to start in production with
 * it (`assertNoDemoCredentials`); set `OAUTH_DEMO_PARTNER_JWKS` to the public JWKS of your own key.
 */
export const DEMO_PARTNER_PRIVATE_JWK: JWK = Object.freeze({
  kty: 'EC',
  crv: 'P-256',
  x: 'eWFAopmuUxSk83Y_VdQK_v949CPzyous5NoBu--YlcI',
  y: 'fzAInIptZRVtFkq8EzataO98S3bRvMNwFauNj6f5Zrs',
  d: 'v8uPHjvXBR2HMH-JUhICm_wAt_Ay55xrxh-KM8_wiOg',
  kid: 'demo-partner-2026',
  alg: 'ES256',
});

/** The public half, as the client registers it. */
export const DEMO_PARTNER_JWKS: JSONWebKeySet = Object.freeze({
  keys: [
    Object.freeze({
      kty: 'EC',
      crv: 'P-256',
      x: DEMO_PARTNER_PRIVATE_JWK.x,
      y: DEMO_PARTNER_PRIVATE_JWK.y,
      kid: DEMO_PARTNER_PRIVATE_JWK.kid,
      alg: 'ES256',
      use: 'sig',
    }),
  ],
});
