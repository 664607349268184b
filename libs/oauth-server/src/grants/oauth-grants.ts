import type { TokenRevocationList } from '@rampart/auth';
import type { OAuthAccessTokens } from '../access-tokens';
import type { OAuthClient } from '../clients/oauth-client';
import type { ResolvedOAuthServerOptions } from '../oauth.options';
import { randomToken, tokenHash, type FamilyRecord, type OAuthState } from './oauth-state';

/** A refresh token: the family (grant) id and a 256-bit secret. */
const REFRESH_TOKEN = /^([A-Za-z0-9_-]{22})\.[A-Za-z0-9_-]{43}$/;

/** A new grant id: 128 bits, the first part of each of the grant's refresh tokens. */
export function newGrantId(): string {
  return randomToken(16);
}

/** A new refresh token of the grant `grantId`, given out once and stored only as a hash. */
export function newRefreshToken(grantId: string): string {
  return `${grantId}.${randomToken()}`;
}

/** The grant a well-formed refresh token names (whether it is the current one is the Store's to say). */
export function grantIdOf(refreshToken: string): string | undefined {
  return REFRESH_TOKEN.exec(refreshToken)?.[1];
}

/**
 * How events and logs name a grant: a hash, never the id. The id is the first half of every
 * refresh token of the grant, and whoever reads the log must not learn it.
 */
export function grantReference(grantId: string): string {
  return tokenHash(`grant:${grantId}`).slice(0, 16);
}

/** A client's refresh-token lifetimes: its own where set, never longer than the server's. */
export interface RefreshLifetimes {
  readonly absoluteMs: number;
  readonly idleMs: number;
}

/** What {@link OAuthGrants.issue} hands out. */
export interface IssuedTokens {
  readonly accessToken: string;
  readonly refreshToken?: string;
}

/**
 * The grants of the authorization-code flow: the tokens issued under each, and its revocation
 * with everything issued from it.
 */
export class OAuthGrants {
  constructor(
    private readonly options: ResolvedOAuthServerOptions,
    private readonly state: OAuthState,
    private readonly accessTokens: OAuthAccessTokens,
    private readonly revocations: TokenRevocationList,
  ) {}

  /** A grant's records last while anything issued from it can still be presented, and a minute more. */
  private ttlMs(): number {
    return this.options.refreshTokenTtlSeconds * 1000 + this.options.accessTokenTtlSeconds * 1000 + 60_000;
  }

  refreshLifetimes(client: OAuthClient): RefreshLifetimes {
    const { refreshTokenTtlSeconds: absolute, refreshTokenIdleTtlSeconds: idle } = this.options;
    return {
      absoluteMs: Math.min(client.refreshTokenTtlSeconds ?? absolute, absolute) * 1000,
      idleMs: Math.min(client.refreshTokenIdleTtlSeconds ?? idle, idle) * 1000,
    };
  }

  /**
   * Issues an access token recorded under its grant (and, for a code exchange, the family's first
   * refresh token). The family is created before the token is recorded, and the record fails once
   * the grant is revoked: so a concurrent revocation either sees the token or is seen here, and
   * nothing issued escapes it.
   */
  async issue(
    grantId: string,
    family: FamilyRecord,
    scopes: readonly string[],
    audience: readonly string[],
    withRefresh: boolean,
    /** For a code exchange: the family is created, its first refresh token lives `idleMs`. */
    createFamily: { idleMs: number } | undefined,
    /** The DPoP key the access token is bound to (`cnf.jkt`). */
    jkt?: string,
  ): Promise<IssuedTokens> {
    const grantTtlMs = this.ttlMs();
    let refreshToken: string | undefined;
    if (createFamily) {
      refreshToken = withRefresh ? newRefreshToken(grantId) : undefined;
      // Without refresh tokens the family record still anchors the grant (for revocation).
      const refreshTtlMs = Math.max(1, Math.min(createFamily.idleMs, family.expiresAt - Date.now()));
      await this.state.createFamily(
        grantId,
        family,
        refreshToken ?? newRefreshToken(grantId),
        grantTtlMs,
        refreshTtlMs,
      );
    }
    const access = await this.accessTokens.sign(
      family.user.id,
      family.clientId,
      scopes,
      audience,
      family.user,
      family.authTime,
      jkt,
    );
    if (!(await this.state.addToGrant(grantId, { jti: access.jti, exp: access.exp }, grantTtlMs))) {
      // A replay of the code was seen while this exchange ran: it revoked the grant before this
      // token was recorded. The tokens are answered but dead, exactly as if the replay had come a
      // moment later. Its refresh-token family is revoked with it.
      await this.revoke(grantId);
      await this.revocations.revoke(access.jti, access.exp);
    }
    return { accessToken: access.token, ...(refreshToken === undefined ? {} : { refreshToken }) };
  }

  /**
   * Revokes a grant: its refresh-token family, and every access token issued from it is put on
   * the revocation list the resource-server guard reads.
   * @returns how many access tokens were revoked
   */
  async revoke(grantId: string): Promise<number> {
    const tokens = await this.state.revokeGrant(grantId, this.ttlMs());
    const now = Math.floor(Date.now() / 1000);
    const live = tokens.filter((t) => t.exp > now);
    await Promise.all(live.map((t) => this.revocations.revoke(t.jti, t.exp)));
    return live.length;
  }
}
