import { constantTimeEqual } from '@rampart/core';
import type { TokenEndpointDpop } from '../dpop/token-endpoint-dpop';
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
    private readonly dpop: TokenEndpointDpop,
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
      const validated = this.authorization.validatePushed(params, client);
      // A proof on the pushed request binds the code to its key (RFC 9449 §10.1), so a code stolen
      // from the redirect is worthless without the private key; a `dpop_jkt` beside it must agree.
      const proofKey = await this.dpop.pushedRequestKeyOf(context.dpop);
      if (
        proofKey !== undefined &&
        validated.dpopJkt !== undefined &&
        !constantTimeEqual(proofKey, validated.dpopJkt)
      ) {
        throw new OAuthError(
          'invalid_dpop_proof',
          'dpop_jkt does not match the key of the DPoP proof.',
          'dpop_jkt_mismatch',
        );
      }
      const record = proofKey === undefined ? validated : { ...validated, dpopJkt: proofKey };
      const id = randomToken();
      await this.state.savePushedRequest(id, record, this.options.pushedRequestTtlSeconds * 1000);
      return { request_uri: `${REQUEST_URI_PREFIX}${id}`, expires_in: this.options.pushedRequestTtlSeconds };
    } catch (error) {
      if (error instanceof OAuthError) this.events.emitFailure('par', error, clientId, context);
      throw error;
    }
  }
}
