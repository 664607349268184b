import type { TokenRevocationList } from '@rampart/auth';
import { describe, expect, it } from 'vitest';
import type { OAuthAccessTokens } from '../access-tokens';
import { toOAuthClient } from '../clients/oauth-client';
import type { ResolvedOAuthServerOptions } from '../oauth.options';
import { OAuthGrants } from './oauth-grants';
import type { OAuthState } from './oauth-state';

const server = { refreshTokenTtlSeconds: 1_000, refreshTokenIdleTtlSeconds: 100 } as ResolvedOAuthServerOptions;
// Only the options are read by refreshLifetimes: the Store and signer are not reached.
const grants = new OAuthGrants(
  server,
  undefined as unknown as OAuthState,
  undefined as unknown as OAuthAccessTokens,
  undefined as unknown as TokenRevocationList,
);
const client = (extra: { refreshTokenTtlSeconds?: number; refreshTokenIdleTtlSeconds?: number }) =>
  toOAuthClient({
    id: 'spa',
    type: 'public',
    redirectUris: ['https://app.example/cb'],
    grantTypes: ['authorization_code', 'refresh_token'],
    scopes: ['a'],
    ...extra,
  });

describe('OAuthGrants.refreshLifetimes', () => {
  it("takes the server's lifetimes, or a client's shorter ones, never a client's longer ones", () => {
    expect(grants.refreshLifetimes(client({}))).toEqual({ absoluteMs: 1_000_000, idleMs: 100_000 });
    expect(grants.refreshLifetimes(client({ refreshTokenTtlSeconds: 500, refreshTokenIdleTtlSeconds: 10 }))).toEqual({
      absoluteMs: 500_000,
      idleMs: 10_000,
    });
    expect(
      grants.refreshLifetimes(client({ refreshTokenTtlSeconds: 9_999, refreshTokenIdleTtlSeconds: 9_999 })),
    ).toEqual({ absoluteMs: 1_000_000, idleMs: 100_000 });
  });
});
