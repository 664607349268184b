import type { TokenRevocationList } from '@rampart/auth';
import type { OAuthAccessTokens } from '../access-tokens';
import type { OAuthClient } from '../clients/oauth-client';
import { grantIdOf, type OAuthGrants } from '../grants/oauth-grants';
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
   * Answers 200 whether or not the token was valid or belonged to the caller (§2.2): the response
   * tells nothing about tokens. A refresh token revokes its whole grant, access tokens included (§2.1).
   */
  async revoke(params: OAuthParams, authorization: string | undefined, context: OAuthRequestContext): Promise<void> {
    let client: OAuthClient | undefined;
    try {
      ({ client } = await authenticateClient(params, authorization, this.options.clients, this.assertions));
      const token = params.require('token');
      const grantId = grantIdOf(token);
      if (grantId !== undefined) {
        const family = await this.state.findFamily(grantId);
        const current = family && (await this.state.currentRefreshHash(grantId));
        if (family?.clientId === client.id && current === tokenHash(token)) {
          const revoked = await this.grants.revoke(grantId);
          this.events.emit('token.revoked', 'info', context, {
            principal: userPrincipal(family.user.id, client.id),
            reason: 'refresh_token_revoked',
            details: { clientId: client.id, grantId, accessTokens: revoked },
          });
        }
        return;
      }
      const claims = await this.accessTokens.verifyOwn(token);
      if (claims?.client_id === client.id) {
        await this.revocations.revoke(claims.jti, claims.exp);
        this.events.emit('token.revoked', 'info', context, {
          principal: userPrincipal(claims.sub, client.id),
          reason: 'access_token_revoked',
          details: { clientId: client.id, jti: claims.jti },
        });
      }
    } catch (error) {
      if (error instanceof OAuthError) this.events.emitFailure('revoke', error, client?.id, context);
      throw error;
    }
  }
}
