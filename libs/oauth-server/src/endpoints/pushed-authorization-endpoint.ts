import { randomToken } from '../grants/oauth-state';
import type { OAuthState } from '../grants/oauth-state';
import type { ClientAssertions } from '../http/client-assertions';
import { authenticateClient } from '../http/client-authentication';
import type { OAuthParams } from '../http/params';
import { OAuthError } from '../oauth.errors';
import type { OAuthEvents, OAuthRequestContext } from '../oauth-events';
import type { ResolvedOAuthServerOptions } from '../oauth.options';
import { REQUEST_URI_PREFIX, type AuthorizationEndpoint } from './authorization-endpoint';

/** RFC 9126 §2.2 response. */
export interface PushedAuthorizationResponse {
  request_uri: string;
  expires_in: number;
}

/**
 * `POST /oauth/par` (RFC 9126): the client pushes its authorization request, authenticated, and
 * gets a short-lived, single-use `request_uri` to send the user agent with. The parameters never
 * travel through the browser, where they could be read or altered.
 */
export class PushedAuthorizationEndpoint {
  constructor(
    private readonly options: ResolvedOAuthServerOptions,
    private readonly state: OAuthState,
    private readonly authorization: AuthorizationEndpoint,
    private readonly events: OAuthEvents,
    private readonly assertions: ClientAssertions,
  ) {}

  async push(
    params: OAuthParams,
    authorization: string | undefined,
    context: OAuthRequestContext,
  ): Promise<PushedAuthorizationResponse> {
    let clientId: string | undefined;
    try {
      const { client } = await authenticateClient(params, authorization, this.options.clients, this.assertions);
      clientId = client.id;
      const record = this.authorization.validatePushed(params, client);
      const id = randomToken();
      await this.state.savePushedRequest(id, record, this.options.pushedRequestTtlSeconds * 1000);
      return { request_uri: `${REQUEST_URI_PREFIX}${id}`, expires_in: this.options.pushedRequestTtlSeconds };
    } catch (error) {
      if (error instanceof OAuthError) this.events.emitFailure('par', error, clientId, context);
      throw error;
    }
  }
}
