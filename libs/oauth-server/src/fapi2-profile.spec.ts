import { describe, expect, it } from 'vitest';
import type { OAuthClientRegistration } from './clients/oauth-client';
import { resolveOAuthServerOptions, type OAuthServerOptions } from './oauth.options';

const jwks = {
  keys: [
    {
      kty: 'EC',
      crv: 'P-256',
      x: 'eWFAopmuUxSk83Y_VdQK_v949CPzyous5NoBu--YlcI',
      y: 'fzAInIptZRVtFkq8EzataO98S3bRvMNwFauNj6f5Zrs',
    },
  ],
};
const fapiClient: OAuthClientRegistration = {
  id: 'bank-app',
  type: 'confidential',
  jwks,
  redirectUris: ['https://bank.example/cb'],
  grantTypes: ['authorization_code'],
  scopes: ['accounts'],
};
const base: OAuthServerOptions = {
  issuer: 'https://as.example',
  profile: 'fapi2',
  clients: [fapiClient],
  interaction: { currentUser: () => undefined, loginUrl: () => '/login' },
  resources: { allowed: ['https://api.example'], default: 'https://api.example' },
};

describe("profile: 'fapi2' at start", () => {
  it('turns on DPoP for every client and keeps only the FAPI algorithms', () => {
    const options = resolveOAuthServerOptions(base);
    expect(options.dpop.required).toBe(true);
    expect(options.dpop.algorithms).toEqual(['ES256', 'EdDSA', 'PS256']);
    expect(options.clientAssertionAlgorithms).toEqual(['ES256', 'PS256', 'EdDSA']);
  });

  it('[confidential clients only, private_key_jwt only, https redirects] refuses other clients', () => {
    const bad: Partial<OAuthClientRegistration>[] = [
      { type: 'public', jwks: undefined },
      { jwks: undefined, secret: 's'.repeat(40) },
      { redirectUris: ['http://127.0.0.1/cb'] },
      { applicationType: 'native', redirectUris: ['https://bank.example/cb'] },
    ];
    for (const change of bad) {
      expect(() => resolveOAuthServerOptions({ ...base, clients: [{ ...fapiClient, ...change }] })).toThrow(/fapi2/);
    }
  });

  it('[code lifetime ≤ 60 s, sender-constrained tokens, PS256/ES256/EdDSA] refuses configuration that breaks the profile', () => {
    expect(() => resolveOAuthServerOptions({ ...base, authorizationCodeTtlSeconds: 120 })).toThrow(/at most 60/);
    expect(() => resolveOAuthServerOptions({ ...base, dpop: { required: false } })).toThrow(/sender-constrained/);
    expect(() => resolveOAuthServerOptions({ ...base, dpop: { algorithms: ['RS256'] } })).toThrow(
      /PS256, ES256, EdDSA/,
    );
    expect(() => resolveOAuthServerOptions({ ...base, clientAssertionAlgorithms: ['RS256'] })).toThrow(
      /PS256, ES256, EdDSA/,
    );
  });
});
