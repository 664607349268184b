import type { OAuthAccessTokens } from '../access-tokens';
import type { OAuthClient, OAuthGrantType } from '../clients/oauth-client';
import { clientSubject } from '@rampart/auth';
import { constantTimeEqual } from '@rampart/core';
import type { TokenEndpointDpop } from '../dpop/token-endpoint-dpop';
import { grantIdOf, grantReference, newGrantId, newRefreshToken, type OAuthGrants } from '../grants/oauth-grants';
import type { FamilyRecord, OAuthState } from '../grants/oauth-state';
import { verifierMatches } from '../grants/pkce';
import { narrowScopes, requestedResources, requestedScopes } from '../grants/scopes';
import type { ClientAssertions } from '../http/client-assertions';
import { authenticateClient } from '../http/client-authentication';
import type { OAuthParams } from '../http/params';
import { OAuthError } from '../oauth.errors';
import { userPrincipal, type OAuthEvents, type OAuthRequestContext } from '../oauth-events';
import type { ResolvedOAuthServerOptions } from '../oauth.options';

/** RFC 6749 §5.1 token response. */
export interface TokenResponse {
  access_token: string;
  /** `DPoP` when the access token is bound to the client's DPoP key (RFC 9449 §5). */
  token_type: 'Bearer' | 'DPoP';
  expires_in: number;
  scope: string;
  refresh_token?: string;
}

const CODE = /^[A-Za-z0-9_-]{43}$/;
/** A consumed code is remembered this long, so a replay is caught (and punished) after it expires too. */
const CODE_REPLAY_WINDOW_MS = 10 * 60 * 1000;

/** `POST /oauth/token`: the authorization_code, refresh_token and client_credentials grants. */
export class TokenEndpoint {
  constructor(
    private readonly options: ResolvedOAuthServerOptions,
    private readonly state: OAuthState,
    private readonly grants: OAuthGrants,
    private readonly accessTokens: OAuthAccessTokens,
    private readonly events: OAuthEvents,
    private readonly dpop: TokenEndpointDpop,
    private readonly assertions: ClientAssertions,
  ) {}

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
      const { client } = await authenticateClient(params, authorization, this.options.clients, this.assertions);
      clientId = client.id;
      if (!client.grantTypes.includes(grantType as OAuthGrantType)) {
        throw new OAuthError('unauthorized_client', `This client may not use the ${grantType} grant.`);
      }
      // Checked before any grant is looked at: a bad proof must not burn a code or rotate a token.
      const jkt = await this.dpop.keyOf(context.dpop, client);
      if (grantType === 'authorization_code') return await this.exchangeCode(params, client, context, jkt);
      if (grantType === 'refresh_token') return await this.refresh(params, client, context, jkt);
      return await this.clientCredentials(params, client, context, jkt);
    } catch (error) {
      if (error instanceof OAuthError) this.events.emitFailure('token', error, clientId, context);
      throw error;
    }
  }

  private async exchangeCode(
    params: OAuthParams,
    client: OAuthClient,
    context: OAuthRequestContext,
    jkt: string | undefined,
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
    // A code bound to a DPoP key (RFC 9449 §10) is redeemed only with a proof of that key: a code
    // stolen from the redirect, even with its PKCE verifier, is useless without the private key.
    if (record.dpopJkt !== undefined && (jkt === undefined || !constantTimeEqual(jkt, record.dpopJkt))) {
      throw new OAuthError(
        'invalid_grant',
        'The authorization code is bound to another DPoP key (dpop_jkt).',
        jkt === undefined ? 'code_dpop_proof_missing' : 'code_dpop_key_mismatch',
      );
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
    const audience = requestedResources(params.all('resource'), record.resources, record.resources);
    const grantId = newGrantId();
    const consumed = await this.state.consumeCode(code, grantId, CODE_REPLAY_WINDOW_MS);
    if (consumed.status === 'missing') throw invalidCode('code_expired');
    if (consumed.status === 'replayed') {
      // The code leaked (RFC 6749 §4.1.2): whoever redeemed it first may be the attacker.
      await this.grants.revoke(consumed.grantId);
      this.events.emit('token.reuse_detected', 'high', context, {
        principal: userPrincipal(record.user.id, client.id),
        reason: 'authorization_code_replay',
        details: { clientId: client.id, grant: grantReference(consumed.grantId) },
      });
      throw invalidCode('code_replayed');
    }
    const withRefresh = client.grantTypes.includes('refresh_token');
    const lifetimes = this.grants.refreshLifetimes(client);
    const family: FamilyRecord = {
      clientId: client.id,
      user: record.user,
      scopes: record.scopes,
      resources: record.resources,
      authTime: record.authTime,
      expiresAt: Date.now() + lifetimes.absoluteMs,
      // A public client has no other proof of possession: its refresh tokens are bound to its
      // DPoP key (RFC 9449 §5), so a stolen one is useless without the private key.
      ...(jkt !== undefined && client.type === 'public' ? { dpopJkt: jkt } : {}),
    };
    const issued = await this.grants.issue(
      grantId,
      family,
      record.scopes,
      audience,
      withRefresh,
      { idleMs: lifetimes.idleMs },
      jkt,
    );
    const response = this.response(issued.accessToken, record.scopes, issued.refreshToken, jkt);
    this.events.emit('token.issued', 'info', context, {
      principal: userPrincipal(record.user.id, client.id),
      reason: 'authorization_code',
      details: { clientId: client.id, grant: grantReference(grantId), scope: response.scope, refresh: withRefresh },
    });
    return response;
  }

  private async refresh(
    params: OAuthParams,
    client: OAuthClient,
    context: OAuthRequestContext,
    jkt: string | undefined,
  ): Promise<TokenResponse> {
    const token = params.require('refresh_token');
    const invalid = (reason: string): OAuthError =>
      new OAuthError('invalid_grant', 'The refresh token is invalid, expired or revoked.', reason);
    const grantId = grantIdOf(token);
    if (grantId === undefined) throw invalid('refresh_malformed');
    const family = await this.state.findFamily(grantId);
    if (!family || family.expiresAt <= Date.now()) throw invalid('refresh_unknown_or_expired');
    // Bound to the client it was issued to (RFC 9700 §4.14.2).
    if (family.clientId !== client.id) throw invalid('refresh_of_other_client');
    if (family.dpopJkt !== undefined) {
      if (jkt === undefined) {
        throw new OAuthError('invalid_dpop_proof', 'This refresh token needs a DPoP proof.', 'dpop_proof_missing');
      }
      if (jkt !== family.dpopJkt) throw invalid('refresh_dpop_key_mismatch');
    }
    const scopeParam = params.get('scope');
    const scopes = scopeParam === undefined ? family.scopes : narrowScopes(scopeParam, family.scopes);
    const audience = requestedResources(params.all('resource'), family.resources, family.resources);
    // Without rotation (a confidential client that opted out, as FAPI 2.0 asks) the token stays
    // the same and the response carries none (RFC 6749 §6: the client keeps the one it has).
    const next = client.refreshTokenRotation ? newRefreshToken(grantId) : undefined;
    const rotated = await this.state.rotateRefresh(grantId, token, next, {
      idleMs: this.grants.refreshLifetimes(client).idleMs,
      endsAt: family.expiresAt,
      graceMs: this.options.refreshTokenReuseGraceSeconds * 1000,
    });
    if (rotated === 'reuse') {
      // A token that was really issued and rotated out came back: it was stolen, or the client is
      // broken. Either way the whole family goes, access tokens included (RFC 9700 §4.14.2). A
      // token never issued (`unknown`) proves nothing and revokes nothing.
      await this.grants.revoke(grantId);
      this.events.emit('token.reuse_detected', 'high', context, {
        principal: userPrincipal(family.user.id, client.id),
        reason: 'refresh_token_reuse',
        details: { clientId: client.id, grant: grantReference(grantId) },
      });
      throw invalid('refresh_reused');
    }
    // `grace`: the same token refreshed twice at once (two tabs); the first won, this one loses.
    if (rotated !== 'ok') throw invalid(`refresh_${rotated}`);
    const issued = await this.grants.issue(grantId, family, scopes, audience, false, undefined, jkt);
    const response = this.response(issued.accessToken, scopes, next, jkt);
    this.events.emit('token.refreshed', 'info', context, {
      principal: userPrincipal(family.user.id, client.id),
      reason: 'refresh_token',
      details: { clientId: client.id, grant: grantReference(grantId), scope: response.scope },
    });
    return response;
  }

  private async clientCredentials(
    params: OAuthParams,
    client: OAuthClient,
    context: OAuthRequestContext,
    jkt: string | undefined,
  ): Promise<TokenResponse> {
    const scopes = requestedScopes(params.get('scope'), client);
    const audience = requestedResources(params.all('resource'), this.options.resources.allowed, [
      this.options.resources.default,
    ]);
    // `sub` names the client in a namespace of its own (RFC 9068 §2.2): a client id never passes
    // for a user id in the resource server's checks (owner comparisons, per-user limits).
    const access = await this.accessTokens.sign(
      clientSubject(client.id),
      client.id,
      scopes,
      audience,
      undefined,
      undefined,
      jkt,
    );
    this.events.emit('token.issued', 'info', context, {
      principal: { kind: 'client', id: client.id },
      reason: 'client_credentials',
      details: { clientId: client.id, scope: scopes.join(' ') },
    });
    return this.response(access.token, scopes, undefined, jkt);
  }

  private response(
    accessToken: string,
    scopes: readonly string[],
    refreshToken: string | undefined,
    jkt: string | undefined,
  ): TokenResponse {
    return {
      access_token: accessToken,
      token_type: jkt === undefined ? 'Bearer' : 'DPoP',
      expires_in: this.options.accessTokenTtlSeconds,
      scope: scopes.join(' '),
      ...(refreshToken === undefined ? {} : { refresh_token: refreshToken }),
    };
  }
}
