import type { TokenRevocationList } from '@rampart/auth';
import type { OAuthAccessTokens } from '../access-tokens';
import type { OAuthClient } from '../clients/oauth-client';
import { grantIdOf } from '../grants/oauth-grants';
import { tokenHash, type OAuthState } from '../grants/oauth-state';
import type { ClientAssertions } from '../http/client-assertions';
import { authenticateClient } from '../http/client-authentication';
import type { OAuthParams } from '../http/params';
import { OAuthError } from '../oauth.errors';
import type { OAuthEvents, OAuthRequestContext } from '../oauth-events';
import type { ResolvedOAuthServerOptions } from '../oauth.options';

/** `POST /oauth/introspect` (RFC 7662): whether a token is active, and what it grants. */
export class IntrospectionEndpoint {
  constructor(
    private readonly options: ResolvedOAuthServerOptions,
    private readonly state: OAuthState,
    private readonly accessTokens: OAuthAccessTokens,
    private readonly revocations: TokenRevocationList,
    private readonly events: OAuthEvents,
    private readonly assertions: ClientAssertions,
  ) {}

  /** Confidential clients only; others' tokens need `canIntrospect`. */
  async introspect(
    params: OAuthParams,
    authorization: string | undefined,
    context: OAuthRequestContext,
  ): Promise<Record<string, unknown>> {
    let client: OAuthClient | undefined;
    try {
      ({ client } = await authenticateClient(params, authorization, this.options.clients, this.assertions));
      if (client.type !== 'confidential') {
        throw new OAuthError('invalid_client', 'Client authentication failed.', 'introspection_by_public_client');
      }
      const token = params.require('token');
      const inactive = { active: false };
      const mayRead = (owner: string | undefined): boolean => client?.canIntrospect === true || owner === client?.id;
      const grantId = grantIdOf(token);
      if (grantId !== undefined) {
        const family = await this.state.findFamily(grantId);
        if (!family || family.expiresAt <= Date.now() || !mayRead(family.clientId)) return inactive;
        if ((await this.state.currentRefreshHash(grantId)) !== tokenHash(token)) return inactive;
        return {
          active: true,
          token_type: 'refresh_token',
          client_id: family.clientId,
          sub: family.user.id,
          scope: family.scopes.join(' '),
          aud: family.resources.length === 1 ? family.resources[0] : [...family.resources],
          exp: Math.floor(family.expiresAt / 1000),
          iss: this.options.issuer,
        };
      }
      const claims = await this.accessTokens.verifyOwn(token);
      if (!claims || !mayRead(claims.client_id) || (await this.revocations.isRevoked(claims.jti))) return inactive;
      return {
        active: true,
        // RFC 9449 §6.2: a DPoP-bound token says so, with the key it is bound to.
        token_type: claims.cnf?.jkt === undefined ? 'Bearer' : 'DPoP',
        ...(claims.cnf?.jkt === undefined ? {} : { cnf: { jkt: claims.cnf.jkt } }),
        client_id: claims.client_id,
        sub: claims.sub,
        scope: claims.scope,
        aud: claims.aud,
        iss: claims.iss,
        exp: claims.exp,
        iat: claims.iat,
        jti: claims.jti,
      };
    } catch (error) {
      if (error instanceof OAuthError) this.events.emitFailure('introspect', error, client?.id, context);
      throw error;
    }
  }
}
