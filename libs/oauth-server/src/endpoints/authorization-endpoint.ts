import type { OAuthClient } from '../clients/oauth-client';
import { matchRedirectUri } from '../clients/redirect-uri';
import { randomToken, type CodeRecord, type InteractionRecord, type OAuthState } from '../grants/oauth-state';
import { isValidChallenge } from '../grants/pkce';
import { requestedResources, requestedScopes } from '../grants/scopes';
import { OAuthParams } from '../http/params';
import { OAuthError } from '../oauth.errors';
import type { OAuthEvents, OAuthRequestContext } from '../oauth-events';
import type { ConsentRequest, OAuthUser } from '../oauth-interaction';
import type { ResolvedOAuthServerOptions, ResolvedRoutes } from '../oauth.options';

export type AuthorizeOutcome =
  /** 302 to this location: the client's redirect URI, the login page or the consent page. */
  | { readonly redirect: string }
  /** No valid redirect URI to send the error to: answered to the user agent directly. */
  | { readonly error: OAuthError };

const INTERACTION_ID = /^[A-Za-z0-9_-]{43}$/;
/** RFC 9126 §2.2: a URN the server makes up; the random part is 256 bits, base64url. */
export const REQUEST_URI_PREFIX = 'urn:ietf:params:oauth:request_uri:';
const PUSHED_ID = /^[A-Za-z0-9_-]{43}$/;
const VSCHARS = /^[\x20-\x7e]+$/;
/** A JWK SHA-256 thumbprint (RFC 7638), base64url: what `dpop_jkt` holds (RFC 9449 §10). */
const JKT = /^[A-Za-z0-9_-]{43}$/;

/**
 * `GET /oauth/authorize`: validates the request, parks it in the Store while the host application
 * signs the user in and asks for consent (the `interaction` resume links), then issues the code.
 */
export class AuthorizationEndpoint {
  constructor(
    private readonly options: ResolvedOAuthServerOptions,
    private readonly routes: ResolvedRoutes,
    private readonly state: OAuthState,
    private readonly events: OAuthEvents,
  ) {}

  async authorize(query: string, req: unknown, context: OAuthRequestContext): Promise<AuthorizeOutcome> {
    let params: OAuthParams;
    try {
      params = OAuthParams.fromQuery(query);
      const interactionId = params.get('interaction');
      if (interactionId !== undefined) return await this.resume(interactionId, req, context);
      if (params.has('request_uri')) return await this.fromPushedRequest(params, req, context);
    } catch (error) {
      if (error instanceof OAuthError) return { error };
      throw error;
    }
    // Until the client and its redirect URI are known to be valid, nothing may be redirected
    // (RFC 6749 §4.1.2.1): an open redirector for anyone who crafts a link.
    let client: OAuthClient;
    let redirectUri: string;
    let redirectUriGiven: boolean;
    try {
      const clientId = params.require('client_id');
      const found = await this.options.clients.find(clientId);
      if (!found) throw new OAuthError('invalid_request', 'Unknown client_id.', 'unknown_client');
      client = found;
      const requested = params.get('redirect_uri');
      redirectUriGiven = requested !== undefined;
      if (requested === undefined) {
        if (client.redirectUris.length !== 1) {
          throw new OAuthError('invalid_request', 'redirect_uri is required for this client.', 'redirect_uri_missing');
        }
        redirectUri = client.redirectUris[0] as string;
      } else {
        const matched = matchRedirectUri(requested, client.redirectUris, client.applicationType);
        if (matched === undefined) {
          throw new OAuthError(
            'invalid_request',
            'redirect_uri is not registered for this client.',
            'redirect_uri_mismatch',
          );
        }
        redirectUri = matched;
      }
    } catch (error) {
      if (error instanceof OAuthError) {
        this.events.emitFailure('authorize', error, undefined, context);
        return { error };
      }
      throw error;
    }
    let state: string | undefined;
    try {
      state = params.get('state');
      // RFC 6749 Appendix A.5: state = 1*VSCHAR. It goes back to the client as it came, and input
      // inspection leaves it to this check (OAUTH_PROTOCOL_PARAMETERS): printable ASCII only.
      if (state !== undefined && !VSCHARS.test(state)) {
        state = undefined;
        throw new OAuthError('invalid_request', 'state must be printable ASCII (RFC 6749 Appendix A.5).', 'bad_state');
      }
    } catch (error) {
      if (!(error instanceof OAuthError)) throw error;
      return this.errorRedirect(redirectUri, undefined, error, client.id, context);
    }
    try {
      if (this.options.requirePushedAuthorizationRequests || client.requirePushedAuthorizationRequests) {
        // RFC 9126 §5: the request must come through the PAR endpoint, authenticated and unseen.
        throw new OAuthError(
          'invalid_request',
          'Push this authorization request to the PAR endpoint first (RFC 9126).',
          'par_required',
        );
      }
      const record = this.validateAuthorizationRequest(params, client, redirectUri, redirectUriGiven, state);
      return await this.proceed(record, client, req, undefined);
    } catch (error) {
      if (error instanceof OAuthError) return this.errorRedirect(redirectUri, state, error, client.id, context);
      throw error;
    }
  }

  private validateAuthorizationRequest(
    params: OAuthParams,
    client: OAuthClient,
    redirectUri: string,
    redirectUriGiven: boolean,
    state: string | undefined,
  ): InteractionRecord {
    const responseType = params.require('response_type');
    if (responseType !== 'code') {
      // No implicit flow (`token`) in OAuth 2.1: tokens in URLs leak through history and Referer.
      throw new OAuthError('unsupported_response_type', 'Only response_type=code is supported.', 'response_type');
    }
    if (!client.grantTypes.includes('authorization_code')) {
      throw new OAuthError('unauthorized_client', 'This client may not use the authorization code grant.');
    }
    const responseMode = params.get('response_mode');
    if (responseMode !== undefined && responseMode !== 'query') {
      throw new OAuthError('invalid_request', 'Only response_mode=query is supported.', 'response_mode');
    }
    // PKCE for every client, S256 only (RFC 9700 §2.1.1): `plain` gives no protection against a
    // stolen authorization request, and a missing method means `plain` (RFC 7636 §4.3).
    const challenge = params.get('code_challenge');
    const method = params.get('code_challenge_method');
    if (challenge === undefined)
      throw new OAuthError('invalid_request', 'code_challenge is required (PKCE).', 'pkce_missing');
    if (method !== 'S256') {
      throw new OAuthError('invalid_request', 'code_challenge_method must be S256.', 'pkce_method');
    }
    if (!isValidChallenge(challenge))
      throw new OAuthError('invalid_request', 'code_challenge is malformed.', 'pkce_malformed');
    const scopes = requestedScopes(params.get('scope'), client);
    const resources = requestedResources(params.all('resource'), this.options.resources.allowed, [
      this.options.resources.default,
    ]);
    const dpopJkt = params.get('dpop_jkt');
    if (dpopJkt !== undefined && !JKT.test(dpopJkt)) {
      throw new OAuthError('invalid_request', 'dpop_jkt must be a SHA-256 JWK thumbprint.', 'dpop_jkt_malformed');
    }
    return {
      clientId: client.id,
      redirectUri,
      redirectUriGiven,
      state,
      codeChallenge: challenge,
      scopes,
      resources,
      ...(dpopJkt === undefined ? {} : { dpopJkt }),
    };
  }

  /**
   * Validates a pushed authorization request (RFC 9126 §2.1) of an authenticated client, as the
   * authorization endpoint would, but every error is answered to the client (JSON), never redirected.
   */
  validatePushed(params: OAuthParams, client: OAuthClient): InteractionRecord {
    if (params.has('request_uri')) {
      throw new OAuthError('invalid_request', 'request_uri cannot be pushed (RFC 9126 §2.1).', 'par_request_uri');
    }
    const requested = params.get('redirect_uri');
    let redirectUri: string | undefined;
    if (requested === undefined) {
      if (client.redirectUris.length === 1) redirectUri = client.redirectUris[0];
    } else {
      redirectUri = matchRedirectUri(requested, client.redirectUris, client.applicationType);
    }
    if (redirectUri === undefined) {
      throw new OAuthError(
        'invalid_request',
        'redirect_uri is not registered for this client.',
        'redirect_uri_mismatch',
      );
    }
    const state = params.get('state');
    if (state !== undefined && !VSCHARS.test(state)) {
      throw new OAuthError('invalid_request', 'state must be printable ASCII (RFC 6749 Appendix A.5).', 'bad_state');
    }
    return this.validateAuthorizationRequest(params, client, redirectUri, requested !== undefined, state);
  }

  /**
   * `request_uri` from the PAR endpoint (RFC 9126 §4): single use, short-lived, bound to the
   * client that pushed it. Only the pushed parameters count; any other in the query is ignored.
   * An unknown, expired or used request_uri has no validated redirect URI: answered directly.
   */
  private async fromPushedRequest(
    params: OAuthParams,
    req: unknown,
    context: OAuthRequestContext,
  ): Promise<AuthorizeOutcome> {
    const invalid = (reason: string): AuthorizeOutcome => {
      const error = new OAuthError('invalid_request', 'The request_uri is invalid, expired or already used.', reason);
      this.events.emitFailure('authorize', error, undefined, context);
      return { error };
    };
    const requestUri = params.require('request_uri');
    const clientId = params.require('client_id');
    if (!requestUri.startsWith(REQUEST_URI_PREFIX) || !PUSHED_ID.test(requestUri.slice(REQUEST_URI_PREFIX.length))) {
      return invalid('request_uri_malformed');
    }
    const record = await this.state.takePushedRequest(requestUri.slice(REQUEST_URI_PREFIX.length));
    if (!record) return invalid('request_uri_unknown');
    // Bound to the client that pushed it: another client's id is not a way to spend it.
    if (record.clientId !== clientId) return invalid('request_uri_of_other_client');
    const client = await this.options.clients.find(record.clientId);
    if (!client || matchRedirectUri(record.redirectUri, client.redirectUris, client.applicationType) === undefined) {
      return invalid('request_uri_client_changed');
    }
    try {
      return await this.proceed(record, client, req, undefined);
    } catch (error) {
      if (error instanceof OAuthError)
        return this.errorRedirect(record.redirectUri, record.state, error, client.id, context);
      throw error;
    }
  }

  /**
   * What a pending interaction asks for, for the host's consent page: the client and the scopes.
   * `returnTo` is the path the server handed to `loginUrl()`/`consentUrl()`.
   */
  async describeInteraction(returnTo: string): Promise<{ client: OAuthClient; scopes: readonly string[] } | undefined> {
    const prefix = `/${this.routes.authorize}?interaction=`;
    if (!this.isReturnPath(returnTo)) return undefined;
    const id = returnTo.slice(prefix.length, prefix.length + 43);
    const record = await this.state.findInteraction(id);
    const client = record && (await this.options.clients.find(record.clientId));
    return record && client ? { client, scopes: record.scopes } : undefined;
  }

  /**
   * Whether `returnTo` is a resume link of this server, so a login page can redirect to it without
   * becoming an open redirector. Extra parameters after the id are allowed (`&consent=denied`).
   */
  isReturnPath(returnTo: string): boolean {
    const prefix = `/${this.routes.authorize}?interaction=`;
    if (!returnTo.startsWith(prefix) || returnTo.length > 512) return false;
    const rest = returnTo.slice(prefix.length);
    return INTERACTION_ID.test(rest.slice(0, 43)) && (rest.length === 43 || rest[43] === '&') && !/[\s\\#]/.test(rest);
  }

  private async resume(interactionId: string, req: unknown, context: OAuthRequestContext): Promise<AuthorizeOutcome> {
    const invalid = new OAuthError(
      'invalid_request',
      'This sign-in has expired: start again from the application.',
      'interaction_unknown',
    );
    if (!INTERACTION_ID.test(interactionId)) return { error: invalid };
    const record = await this.state.findInteraction(interactionId);
    if (!record) return { error: invalid };
    const client = await this.options.clients.find(record.clientId);
    // The client may have changed since: its redirect URI must still be registered.
    if (!client || matchRedirectUri(record.redirectUri, client.redirectUris, client.applicationType) === undefined)
      return { error: invalid };
    try {
      return await this.proceed(record, client, req, interactionId);
    } catch (error) {
      if (error instanceof OAuthError)
        return this.errorRedirect(record.redirectUri, record.state, error, client.id, context);
      throw error;
    }
  }

  /** Login, then consent, then the code: each missing step sends the user agent to the host app. */
  private async proceed(
    record: InteractionRecord,
    client: OAuthClient,
    req: unknown,
    interactionId: string | undefined,
  ): Promise<AuthorizeOutcome> {
    const { interaction } = this.options;
    const user = await interaction.currentUser(req);
    let id = interactionId;
    const park = async (): Promise<string> => {
      if (id === undefined) {
        id = randomToken();
        await this.state.saveInteraction(id, record, this.options.interactionTtlSeconds * 1000);
      }
      return `/${this.routes.authorize}?interaction=${id}`;
    };
    if (!user) return { redirect: interaction.loginUrl(await park()) };
    if (!client.firstParty) {
      const request: ConsentRequest = { user, client, scopes: record.scopes };
      const decision = await interaction.consent?.(req, request);
      if (decision === 'denied' || (decision === undefined && !interaction.consentUrl)) {
        if (id !== undefined) await this.state.takeInteraction(id);
        throw new OAuthError('access_denied', 'The user did not authorize this application.', 'consent_denied');
      }
      if (decision === undefined && interaction.consentUrl)
        return { redirect: interaction.consentUrl(await park(), request) };
    }
    // One completion per interaction: a second tab or a replayed resume link gets nothing.
    if (id !== undefined && !(await this.state.takeInteraction(id))) {
      return { error: new OAuthError('invalid_request', 'This sign-in was already completed.', 'interaction_used') };
    }
    const code = randomToken();
    const codeRecord: CodeRecord = { ...record, user: this.userOf(user), authTime: Math.floor(Date.now() / 1000) };
    await this.state.saveCode(code, codeRecord, this.options.authorizationCodeTtlSeconds * 1000);
    return { redirect: this.redirectWith(record.redirectUri, { code, state: record.state, iss: this.options.issuer }) };
  }

  private userOf(user: OAuthUser): OAuthUser {
    return {
      id: user.id,
      ...(user.roles ? { roles: [...user.roles] } : {}),
      ...(user.tenantId === undefined ? {} : { tenantId: user.tenantId }),
    };
  }

  /** Errors go back to a validated redirect URI, with `state` and `iss` (RFC 9207 §2, errors too). */
  private errorRedirect(
    redirectUri: string,
    state: string | undefined,
    error: OAuthError,
    clientId: string,
    context: OAuthRequestContext,
  ): AuthorizeOutcome {
    this.events.emitFailure('authorize', error, clientId, context);
    return {
      redirect: this.redirectWith(redirectUri, {
        error: error.error,
        error_description: error.description,
        state,
        iss: this.options.issuer,
      }),
    };
  }

  private redirectWith(redirectUri: string, values: Record<string, string | undefined>): string {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(values)) if (value !== undefined) query.append(name, value);
    // Appended, not rebuilt with URL: the registered URI is kept byte for byte (RFC 6749 §3.1.2).
    return `${redirectUri}${redirectUri.includes('?') ? '&' : '?'}${query.toString()}`;
  }
}
