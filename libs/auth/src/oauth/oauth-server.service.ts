import { Inject, Injectable, Optional } from '@nestjs/common';
import {
  RAMPART_STORE,
  SecurityEvents,
  type SecurityEventType,
  type SecuritySeverity,
  type Store,
} from '@rampart/core';
import { createLocalJWKSet, jwtVerify, SignJWT } from 'jose';
import { randomUUID } from 'node:crypto';
import { ACCESS_TOKEN_TYP, parseScope, type AccessTokenClaims } from '../tokens/access-token';
import { TokenRevocationList } from '../tokens/token-revocation';
import type { OAuthClient, OAuthGrantType } from './clients/oauth-client';
import { matchRedirectUri } from './clients/redirect-uri';
import {
  OAuthState,
  randomToken,
  tokenHash,
  type CodeRecord,
  type FamilyRecord,
  type InteractionRecord,
} from './grants/oauth-state';
import { isValidChallenge, verifierMatches } from './grants/pkce';
import { authenticateClient, type AuthenticatedClient } from './http/client-authentication';
import { OAuthParams } from './http/params';
import { OAuthSigningKeys } from './keys/signing-keys';
import { OAUTH_SERVER_OPTIONS, OAUTH_SERVER_ROUTES } from './oauth.constants';
import { OAuthError } from './oauth.errors';
import type { ResolvedOAuthServerOptions, ResolvedRoutes } from './oauth.options';
import type { ConsentRequest, OAuthUser } from './oauth-interaction';

/** The facts of a request the server needs besides its parameters. */
export interface OAuthRequestContext {
  readonly requestId?: string;
  readonly clientIp?: string;
  readonly route?: string;
}

/** RFC 6749 §5.1 token response. */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  refresh_token?: string;
}

export type AuthorizeOutcome =
  /** 302 to this location: the client's redirect URI, the login page or the consent page. */
  | { readonly redirect: string }
  /** No valid redirect URI to send the error to: answered to the user agent directly. */
  | { readonly error: OAuthError };

const CODE = /^[A-Za-z0-9_-]{43}$/;
const INTERACTION_ID = /^[A-Za-z0-9_-]{43}$/;
/** A refresh token: the family (grant) id and a 256-bit secret. */
const REFRESH_TOKEN = /^([A-Za-z0-9_-]{22})\.[A-Za-z0-9_-]{43}$/;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
/** A consumed code is remembered this long, so a replay is caught (and punished) after it expires too. */
const CODE_REPLAY_WINDOW_MS = 10 * 60 * 1000;

function sameMembers(a: readonly string[], allowed: readonly string[]): boolean {
  return a.every((item) => allowed.includes(item));
}

/**
 * The OAuth 2.1 authorization server: authorization code with PKCE (S256 only), refresh tokens
 * rotated on every use with reuse detection, client credentials, revocation (RFC 7009),
 * introspection (RFC 7662) and metadata (RFC 8414). Endpoints are served by the module's
 * controller; this service can also be called directly (e.g. to revoke a user's grant).
 * @publicApi
 */
@Injectable()
export class OAuthServer {
  private readonly state: OAuthState;
  private readonly verifyKeys: ReturnType<typeof createLocalJWKSet>;
  private readonly issuerBase: string;

  constructor(
    @Inject(OAUTH_SERVER_OPTIONS) private readonly options: ResolvedOAuthServerOptions,
    @Inject(OAUTH_SERVER_ROUTES) private readonly routes: ResolvedRoutes,
    private readonly keys: OAuthSigningKeys,
    @Inject(RAMPART_STORE) store: Store,
    private readonly revocations: TokenRevocationList,
    @Optional() private readonly events?: SecurityEvents,
  ) {
    this.state = new OAuthState(store);
    this.verifyKeys = createLocalJWKSet(keys.jwks());
    this.issuerBase = options.issuer.replace(/\/+$/, '');
  }

  // ---------------------------------------------------------------- metadata

  /** RFC 8414 authorization server metadata. */
  metadata(): Record<string, unknown> {
    const url = (path: string): string => `${this.issuerBase}/${path}`;
    return {
      issuer: this.options.issuer,
      authorization_endpoint: url(this.routes.authorize),
      token_endpoint: url(this.routes.token),
      revocation_endpoint: url(this.routes.revoke),
      introspection_endpoint: url(this.routes.introspect),
      jwks_uri: url(this.routes.jwks),
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      scopes_supported: [...this.options.scopesSupported],
      authorization_response_iss_parameter_supported: true,
    };
  }

  jwks(): { keys: object[] } {
    return this.keys.jwks();
  }

  // ---------------------------------------------------------------- authorization endpoint

  /** `GET /oauth/authorize`: validates the request, then login, consent, and the code. */
  async authorize(query: string, req: unknown, context: OAuthRequestContext = {}): Promise<AuthorizeOutcome> {
    let params: OAuthParams;
    try {
      params = OAuthParams.fromQuery(query);
      const interactionId = params.get('interaction');
      if (interactionId !== undefined) return await this.resume(interactionId, req, context);
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
        const matched = matchRedirectUri(requested, client.redirectUris);
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
        this.emitFailure('authorize', error, undefined, context);
        return { error };
      }
      throw error;
    }
    let state: string | undefined;
    try {
      state = params.get('state');
    } catch (error) {
      if (!(error instanceof OAuthError)) throw error;
      return this.errorRedirect(redirectUri, undefined, error, client.id, context);
    }
    try {
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
    const scopes = this.requestedScopes(params.get('scope'), client);
    const resources = this.requestedResources(params.all('resource'), this.options.resources.allowed, [
      this.options.resources.default,
    ]);
    return { clientId: client.id, redirectUri, redirectUriGiven, state, codeChallenge: challenge, scopes, resources };
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
    if (!client || matchRedirectUri(record.redirectUri, client.redirectUris) === undefined) return { error: invalid };
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
    this.emitFailure('authorize', error, clientId, context);
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

  // ---------------------------------------------------------------- token endpoint

  /** `POST /oauth/token`. */
  async token(
    params: OAuthParams,
    authorization: string | undefined,
    context: OAuthRequestContext,
  ): Promise<TokenResponse> {
    let clientId: string | undefined;
    try {
      const grantType = params.require('grant_type');
      if (!['authorization_code', 'refresh_token', 'client_credentials'].includes(grantType)) {
        // No password grant (OAuth 2.1 §10): it hands the user's password to the client.
        throw new OAuthError('unsupported_grant_type', `grant_type "${grantType.slice(0, 40)}" is not supported.`);
      }
      const { client } = await authenticateClient(params, authorization, this.options.clients);
      clientId = client.id;
      if (!client.grantTypes.includes(grantType as OAuthGrantType)) {
        throw new OAuthError('unauthorized_client', `This client may not use the ${grantType} grant.`);
      }
      if (grantType === 'authorization_code') return await this.exchangeCode(params, client, context);
      if (grantType === 'refresh_token') return await this.refresh(params, client, context);
      return await this.clientCredentials(params, client, context);
    } catch (error) {
      if (error instanceof OAuthError) this.emitFailure('token', error, clientId, context);
      throw error;
    }
  }

  private async exchangeCode(
    params: OAuthParams,
    client: OAuthClient,
    context: OAuthRequestContext,
  ): Promise<TokenResponse> {
    const code = params.require('code');
    const verifier = params.get('code_verifier');
    const redirectUri = params.get('redirect_uri');
    const invalidCode = (reason: string): OAuthError =>
      new OAuthError('invalid_grant', 'The authorization code is invalid, expired or already used.', reason);
    if (!CODE.test(code)) throw invalidCode('code_malformed');
    const record = await this.state.findCode(code);
    if (!record) throw invalidCode('code_unknown_or_expired');
    // Every binding is checked before the code is consumed: a wrong guess must not burn a good code.
    if (record.clientId !== client.id) throw invalidCode('code_of_other_client');
    if (
      record.redirectUriGiven
        ? redirectUri !== record.redirectUri
        : redirectUri !== undefined && redirectUri !== record.redirectUri
    ) {
      throw invalidCode('redirect_uri_mismatch');
    }
    if (verifier === undefined)
      throw new OAuthError('invalid_grant', 'code_verifier is required (PKCE).', 'pkce_verifier_missing');
    if (!verifierMatches(verifier, record.codeChallenge)) {
      throw new OAuthError(
        'invalid_grant',
        'code_verifier does not match the code_challenge.',
        'pkce_verifier_mismatch',
      );
    }
    const audience = this.requestedResources(params.all('resource'), record.resources, record.resources);
    const grantId = randomToken(16);
    const consumed = await this.state.consumeCode(code, grantId, CODE_REPLAY_WINDOW_MS);
    if (consumed.status === 'missing') throw invalidCode('code_expired');
    if (consumed.status === 'replayed') {
      // The code leaked (RFC 6749 §4.1.2): whoever redeemed it first may be the attacker.
      await this.revokeGrant(consumed.grantId);
      this.emit('token.reuse_detected', 'high', context, {
        subject: record.user.id,
        reason: 'authorization_code_replay',
        details: { clientId: client.id, grantId: consumed.grantId },
      });
      throw invalidCode('code_replayed');
    }
    const withRefresh = client.grantTypes.includes('refresh_token');
    const family: FamilyRecord = {
      clientId: client.id,
      user: record.user,
      scopes: record.scopes,
      resources: record.resources,
      authTime: record.authTime,
      expiresAt: Date.now() + this.options.refreshTokenTtlSeconds * 1000,
    };
    const response = await this.issueForGrant(grantId, family, record.scopes, audience, withRefresh, true);
    this.emit('token.issued', 'info', context, {
      subject: record.user.id,
      reason: 'authorization_code',
      details: { clientId: client.id, grantId, scope: response.scope, refreshToken: withRefresh },
    });
    return response;
  }

  private async refresh(
    params: OAuthParams,
    client: OAuthClient,
    context: OAuthRequestContext,
  ): Promise<TokenResponse> {
    const token = params.require('refresh_token');
    const invalid = (reason: string): OAuthError =>
      new OAuthError('invalid_grant', 'The refresh token is invalid, expired or revoked.', reason);
    const match = REFRESH_TOKEN.exec(token);
    if (!match) throw invalid('refresh_malformed');
    const grantId = match[1] as string;
    const family = await this.state.findFamily(grantId);
    if (!family || family.expiresAt <= Date.now()) throw invalid('refresh_unknown_or_expired');
    // Bound to the client it was issued to (RFC 9700 §4.14.2).
    if (family.clientId !== client.id) throw invalid('refresh_of_other_client');
    const scopeParam = params.get('scope');
    const scopes = scopeParam === undefined ? family.scopes : this.narrowScopes(scopeParam, family.scopes);
    const audience = this.requestedResources(params.all('resource'), family.resources, family.resources);
    const next = `${grantId}.${randomToken()}`;
    const rotated = await this.state.rotateRefresh(grantId, token, next);
    if (rotated === 'reuse') {
      // A rotated-out token came back: it was stolen, or the client is broken. Either way the
      // whole family goes, access tokens included (RFC 9700 §4.14.2).
      await this.revokeGrant(grantId);
      this.emit('token.reuse_detected', 'high', context, {
        subject: family.user.id,
        reason: 'refresh_token_reuse',
        details: { clientId: client.id, grantId },
      });
      throw invalid('refresh_reused');
    }
    if (rotated !== 'ok') throw invalid(`refresh_${rotated}`);
    const response = await this.issueForGrant(grantId, family, scopes, audience, false, false);
    response.refresh_token = next;
    this.emit('token.refreshed', 'info', context, {
      subject: family.user.id,
      reason: 'refresh_token',
      details: { clientId: client.id, grantId, scope: response.scope },
    });
    return response;
  }

  /**
   * Issues an access token recorded under its grant (and, for a code exchange, the family's first
   * refresh token). The family is created before the token is recorded, and the record fails once
   * the grant is revoked: so a concurrent revocation either sees the token or is seen here, and
   * nothing issued escapes it.
   */
  private async issueForGrant(
    grantId: string,
    family: FamilyRecord,
    scopes: readonly string[],
    audience: readonly string[],
    withRefresh: boolean,
    createFamily: boolean,
  ): Promise<TokenResponse> {
    const grantTtlMs = this.options.refreshTokenTtlSeconds * 1000 + this.options.accessTokenTtlSeconds * 1000 + 60_000;
    let refreshToken: string | undefined;
    if (createFamily) {
      refreshToken = withRefresh ? `${grantId}.${randomToken()}` : undefined;
      // Without refresh tokens the family record still anchors the grant (for revocation).
      await this.state.createFamily(grantId, family, refreshToken ?? `${grantId}.${randomToken()}`, grantTtlMs);
    }
    const access = await this.signAccessToken(
      family.user.id,
      family.clientId,
      scopes,
      audience,
      family.user,
      family.authTime,
    );
    if (!(await this.state.addToGrant(grantId, { jti: access.jti, exp: access.exp }, grantTtlMs))) {
      // A replay of the code was seen while this exchange ran: it revoked the grant before this
      // token was recorded. The tokens are answered but dead, exactly as if the replay had come a
      // moment later. Its refresh-token family is revoked with it.
      await this.revokeGrant(grantId);
      await this.revocations.revoke(access.jti, access.exp);
    }
    return {
      access_token: access.token,
      token_type: 'Bearer',
      expires_in: this.options.accessTokenTtlSeconds,
      scope: scopes.join(' '),
      ...(refreshToken === undefined ? {} : { refresh_token: refreshToken }),
    };
  }

  private async clientCredentials(
    params: OAuthParams,
    client: OAuthClient,
    context: OAuthRequestContext,
  ): Promise<TokenResponse> {
    const scopes = this.requestedScopes(params.get('scope'), client);
    const audience = this.requestedResources(params.all('resource'), this.options.resources.allowed, [
      this.options.resources.default,
    ]);
    const access = await this.signAccessToken(client.id, client.id, scopes, audience, undefined, undefined);
    this.emit('token.issued', 'info', context, {
      subject: client.id,
      reason: 'client_credentials',
      details: { clientId: client.id, scope: scopes.join(' ') },
    });
    return {
      access_token: access.token,
      token_type: 'Bearer',
      expires_in: this.options.accessTokenTtlSeconds,
      scope: scopes.join(' '),
    };
  }

  /** An RFC 9068 access token, signed with the current key. */
  private async signAccessToken(
    subject: string,
    clientId: string,
    scopes: readonly string[],
    audience: readonly string[],
    user: OAuthUser | undefined,
    authTime: number | undefined,
  ): Promise<{ token: string; jti: string; exp: number }> {
    const key = this.keys.current();
    const iat = Math.floor(Date.now() / 1000);
    const exp = iat + this.options.accessTokenTtlSeconds;
    const jti = randomUUID();
    const claims: Partial<AccessTokenClaims> = {
      client_id: clientId,
      scope: scopes.join(' '),
      ...(user?.roles ? { roles: [...user.roles] } : {}),
      ...(user?.tenantId === undefined ? {} : { tenant_id: user.tenantId }),
      ...(authTime === undefined ? {} : { auth_time: authTime }),
    };
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: ACCESS_TOKEN_TYP })
      .setIssuer(this.options.issuer)
      .setSubject(subject)
      .setAudience(audience.length === 1 ? (audience[0] as string) : [...audience])
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .setJti(jti)
      .sign(key.privateKey);
    return { token, jti, exp };
  }

  // ---------------------------------------------------------------- revocation and introspection

  /**
   * `POST /oauth/revoke` (RFC 7009). Answers 200 whether or not the token was valid or belonged to
   * the caller (§2.2): the response tells nothing about tokens. A refresh token revokes its whole
   * grant, access tokens included (§2.1).
   */
  async revoke(params: OAuthParams, authorization: string | undefined, context: OAuthRequestContext): Promise<void> {
    let client: OAuthClient | undefined;
    try {
      ({ client } = await authenticateClient(params, authorization, this.options.clients));
      const token = params.require('token');
      const refresh = REFRESH_TOKEN.exec(token);
      if (refresh) {
        const grantId = refresh[1] as string;
        const family = await this.state.findFamily(grantId);
        const current = family && (await this.state.currentRefreshHash(grantId));
        if (family?.clientId === client.id && current === tokenHash(token)) {
          const revoked = await this.revokeGrant(grantId);
          this.emit('token.revoked', 'info', context, {
            subject: family.user.id,
            reason: 'refresh_token_revoked',
            details: { clientId: client.id, grantId, accessTokens: revoked },
          });
        }
        return;
      }
      const claims = await this.verifyOwnAccessToken(token);
      if (claims?.client_id === client.id) {
        await this.revocations.revoke(claims.jti, claims.exp);
        this.emit('token.revoked', 'info', context, {
          subject: claims.sub,
          reason: 'access_token_revoked',
          details: { clientId: client.id, jti: claims.jti },
        });
      }
    } catch (error) {
      if (error instanceof OAuthError) this.emitFailure('revoke', error, client?.id, context);
      throw error;
    }
  }

  /** `POST /oauth/introspect` (RFC 7662): confidential clients only; others' tokens need `canIntrospect`. */
  async introspect(
    params: OAuthParams,
    authorization: string | undefined,
    context: OAuthRequestContext,
  ): Promise<Record<string, unknown>> {
    let client: AuthenticatedClient['client'] | undefined;
    try {
      ({ client } = await authenticateClient(params, authorization, this.options.clients));
      if (client.type !== 'confidential') {
        throw new OAuthError('invalid_client', 'Client authentication failed.', 'introspection_by_public_client');
      }
      const token = params.require('token');
      const inactive = { active: false };
      const mayRead = (owner: string | undefined): boolean => client?.canIntrospect === true || owner === client?.id;
      const refresh = REFRESH_TOKEN.exec(token);
      if (refresh) {
        const grantId = refresh[1] as string;
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
      const claims = await this.verifyOwnAccessToken(token);
      if (!claims || !mayRead(claims.client_id) || (await this.revocations.isRevoked(claims.jti))) return inactive;
      return {
        active: true,
        token_type: 'Bearer',
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
      if (error instanceof OAuthError) this.emitFailure('introspect', error, client?.id, context);
      throw error;
    }
  }

  /** Claims of an unexpired access token this server signed, or undefined. */
  private async verifyOwnAccessToken(token: string): Promise<AccessTokenClaims | undefined> {
    if (token.length > 8192 || !COMPACT_JWS.test(token)) return undefined;
    try {
      const { payload } = await jwtVerify<AccessTokenClaims>(token, this.verifyKeys, {
        algorithms: this.keys.algorithms(),
        issuer: this.options.issuer,
        typ: ACCESS_TOKEN_TYP,
        requiredClaims: ['jti', 'exp', 'sub', 'client_id'],
      });
      return payload;
    } catch {
      return undefined;
    }
  }

  /**
   * Revokes a grant: its refresh-token family, and every access token issued from it is put on
   * the revocation list the resource-server guard reads.
   * @returns how many access tokens were revoked
   */
  async revokeGrant(grantId: string): Promise<number> {
    const ttlMs = this.options.refreshTokenTtlSeconds * 1000 + this.options.accessTokenTtlSeconds * 1000 + 60_000;
    const tokens = await this.state.revokeGrant(grantId, ttlMs);
    const now = Math.floor(Date.now() / 1000);
    const live = tokens.filter((t) => t.exp > now);
    await Promise.all(live.map((t) => this.revocations.revoke(t.jti, t.exp)));
    return live.length;
  }

  // ---------------------------------------------------------------- scopes, resources, events

  private requestedScopes(scope: string | undefined, client: OAuthClient): readonly string[] {
    if (scope === undefined) return client.defaultScopes;
    const scopes = parseScope(scope);
    if (!scopes) throw new OAuthError('invalid_scope', 'The scope parameter is malformed.', 'scope_malformed');
    if (!sameMembers(scopes, client.scopes)) {
      throw new OAuthError('invalid_scope', 'The requested scope is not allowed for this client.', 'scope_not_allowed');
    }
    return [...new Set(scopes)];
  }

  /** RFC 6749 §6: a refresh may narrow the scope, never widen it. */
  private narrowScopes(scope: string, granted: readonly string[]): readonly string[] {
    const scopes = parseScope(scope);
    if (!scopes || !sameMembers(scopes, granted)) {
      throw new OAuthError('invalid_scope', 'The requested scope exceeds the scope granted.', 'scope_widened');
    }
    return [...new Set(scopes)];
  }

  /** RFC 8707: each `resource` must be one this server issues for (and, later, one granted). */
  private requestedResources(
    requested: readonly string[],
    allowed: readonly string[],
    fallback: readonly string[],
  ): readonly string[] {
    if (requested.length === 0) return fallback;
    if (requested.length > 10 || !sameMembers(requested, allowed)) {
      throw new OAuthError(
        'invalid_target',
        'The requested resource is unknown or not granted.',
        'resource_not_allowed',
      );
    }
    return [...new Set(requested)];
  }

  private emitFailure(endpoint: string, error: OAuthError, clientId?: string, context: OAuthRequestContext = {}): void {
    this.emit('auth.failure', error.error === 'invalid_client' ? 'medium' : 'low', context, {
      ...(clientId === undefined ? {} : { subject: clientId }),
      reason: `oauth_${error.reason}`,
      details: { endpoint, error: error.error },
    });
  }

  private emit(
    type: SecurityEventType,
    severity: SecuritySeverity,
    context: OAuthRequestContext,
    event: { subject?: string; reason: string; details: Record<string, unknown> },
  ): void {
    this.events?.emit({
      type,
      severity,
      ...(context.requestId === undefined ? {} : { requestId: context.requestId }),
      ...(context.clientIp === undefined ? {} : { clientIp: context.clientIp }),
      ...(context.route === undefined ? {} : { route: context.route }),
      ...(event.subject === undefined ? {} : { subject: event.subject }),
      reason: event.reason,
      details: event.details,
    });
  }
}
