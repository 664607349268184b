import type { TokenRevocationList } from '@rampart/auth';
import type { OAuthAccessTokens } from '../access-tokens';
import type { OAuthClient } from '../clients/oauth-client';
import { grantIdOf, grantReference, type OAuthGrants } from '../grants/oauth-grants';
import { tokenHash, type OAuthState } from '../grants/oauth-state';
import type { ClientAssertions } from '../http/client-assertions';
import { authenticateClient } from '../http/client-authentication';
import type { OAuthParams } from '../http/params';
import { OAuthError } from '../oauth.errors';
import { userPrincipal, type OAuthEvents, type OAuthRequestContext } from '../oauth-events';
import type { ResolvedOAuthServerOptions } from '../oauth.options';

/** `POST /oauth/revoke` (RFC 7009): a client revokes one of its own tokens. */
export class RevocationEndpoint {
  constructor(
    private readonly options: ResolvedOAuthServerOptions,
    private readonly state: OAuthState,
    private readonly grants: OAuthGrants,
    private readonly accessTokens: OAuthAccessTokens,
    private readonly revocations: TokenRevocationList,
    private readonly events: OAuthEvents,
    private readonly assertions: ClientAssertions,
  ) {}

  /**
   * Answers 200 for a token that is not (or no longer) valid (§2.2), `unauthorized_client` for a
   * valid token of another client (§2.1). A refresh token revokes its whole grant, access tokens
   * included (§2.1).
   */
  async revoke(params: OAuthParams, authorization: string | undefined, context: OAuthRequestContext): Promise<void> {
    let client: OAuthClient | undefined;
    try {
      ({ client } = await authenticateClient(params, authorization, this.options.clients, this.assertions));
      const token = params.require('token');
      const grantId = grantIdOf(token);
      // RFC 7009 §2.1: a valid token of another client is refused (and stays valid); a token that
      // is not valid (unknown, expired, forged) is answered 200, as if revoked (§2.2).
      const foreign = (): OAuthError =>
        new OAuthError('unauthorized_client', 'This token was not issued to this client.', 'revoke_foreign_token');
      if (grantId !== undefined) {
        const family = await this.state.findFamily(grantId);
        const current = family && (await this.state.currentRefreshHash(grantId));
        if (family === undefined || current !== tokenHash(token)) return;
        if (family.clientId !== client.id) throw foreign();
        const revoked = await this.grants.revoke(grantId);
        this.events.emit('token.revoked', 'info', context, {
          principal: userPrincipal(family.user.id, client.id),
          reason: 'refresh_token_revoked',
          details: { clientId: client.id, grant: grantReference(grantId), accessTokens: revoked },
        });
        return;
      }
      const claims = await this.accessTokens.verifyOwn(token);
      if (!claims) return;
      if (claims.client_id !== client.id) throw foreign();
      await this.revocations.revoke(claims.jti, claims.exp);
      this.events.emit('token.revoked', 'info', context, {
        principal: userPrincipal(claims.sub, client.id),
        reason: 'access_token_revoked',
        details: { clientId: client.id, jti: claims.jti },
      });
    } catch (error) {
      if (error instanceof OAuthError) this.events.emitFailure('revoke', error, client?.id, context);
      throw error;
    }
  }
}
