import { Inject, Injectable, Logger, Optional, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  httpArgument,
  PerRoute,
  SecurityEvents,
  getRequestContext,
  getRequestState,
  principalOf,
  rawRequest,
  rawResponse,
  routeOf,
  type SecurityPrincipal,
} from '@rampart/core';
import { ServiceUnavailableError } from '@rampart/errors';
import { ApiKeyService, ApiKeyVerificationError } from '../api-keys/api-key.service';
import { AUTH_MODE_KEY, IS_PUBLIC_KEY, RAMPART_AUTH_OPTIONS } from '../auth.constants';
import { authenticationFailed, type ChallengeDetails, type Scheme } from '../auth.errors';
import type { AuthMode, ResolvedAuthOptions } from '../auth.options';
import type { AuthenticatedRequest, AuthenticatedUser } from '../principal';
import type { DpopNonces } from '../tokens/dpop-nonces';
import { DpopProofError, DpopProofVerifier } from '../tokens/dpop-proof';
import { JwtVerifier, TokenVerificationError } from '../tokens/jwt-verifier';
import { principalKindOf } from '../tokens/access-token';
import { TokenRevocationList } from '../tokens/token-revocation';

/** Injection token of the {@link JwtVerifier} (absent when no `jwt` options are given). */
export const JWT_VERIFIER = Symbol('RAMPART_JWT_VERIFIER');
/** Injection token of the {@link DpopProofVerifier} of the guard (absent without `jwt` options). */
export const DPOP_VERIFIER = Symbol('RAMPART_DPOP_VERIFIER');
/** Injection token of the guard's {@link DpopNonces} (absent unless `jwt.dpop.requireNonce`). */
export const DPOP_NONCES = Symbol('RAMPART_DPOP_NONCES');

/** RFC 6750 §2.1 b64token, checked after the length bound so the regex sees a short input. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

type HttpRequest = AuthenticatedRequest & {
  headers: Record<string, string | string[] | undefined>;
  query?: unknown;
  method?: string;
  url?: string;
};

/** An access token as the request presented it: the scheme says whether a DPoP proof comes with it. */
interface PresentedToken {
  readonly token: string;
  readonly scheme: 'Bearer' | 'DPoP';
}

const SCHEMES: Readonly<Record<AuthMode, readonly Scheme[]>> = {
  jwt: ['Bearer'],
  apiKey: ['ApiKey'],
  either: ['Bearer', 'ApiKey'],
  both: ['Bearer', 'ApiKey'],
};

/**
 * The global authentication guard, secure by default: a route without `@Public()` needs the
 * credentials of its `@Auth()` mode (default: a JWT). It sets `request.user` and `request.apiKey`,
 * and the same identities in core's request state (`getRequestState(req).user` / `.apiKey`).
 * Failures are 401 problem+json with an RFC 6750 challenge; the reason goes to the security event.
 * @publicApi
 */
@Injectable()
export class AuthenticationGuard implements CanActivate {
  private readonly logger = new Logger('AuthenticationGuard');

  constructor(
    private readonly reflector: Reflector,
    @Inject(RAMPART_AUTH_OPTIONS) private readonly options: ResolvedAuthOptions,
    private readonly revocations: TokenRevocationList,
    private readonly apiKeys: ApiKeyService,
    @Optional() @Inject(JWT_VERIFIER) private readonly verifier?: JwtVerifier,
    @Optional() private readonly events?: SecurityEvents,
    @Optional() @Inject(DPOP_VERIFIER) private readonly dpop?: DpopProofVerifier,
    @Optional() @Inject(DPOP_NONCES) private readonly nonces?: DpopNonces,
  ) {}

  /** Each route's mode (`public` for `@Public()`), read once. */
  private readonly routes = new PerRoute<AuthMode | 'public'>((handler, controller) => {
    const targets = [handler, controller];
    if (this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC_KEY, targets) === true) return 'public';
    return this.reflector.getAllAndOverride<AuthMode | undefined>(AUTH_MODE_KEY, targets) ?? this.options.defaultMode;
  });

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const mode = this.routes.of(context);
    if (mode === 'public') return true;
    const req = httpArgument<HttpRequest>(context, 'request');
    const schemes = SCHEMES[mode];
    // Never trust a value something else put there: only this guard sets the identity.
    delete req.user;
    delete req.apiKey;
    const state = getRequestState(req);
    state.user = undefined;
    state.apiKey = undefined;

    const token = this.readAccessToken(req, mode, schemes);
    const key = this.readApiKey(req);
    const useJwt = mode === 'jwt' || mode === 'both' || (mode === 'either' && token !== undefined);
    const useKey = mode === 'apiKey' || mode === 'both' || (mode === 'either' && key !== undefined);
    if (!useJwt && !useKey) throw this.fail(schemes, 'credentials_missing', undefined);
    if (useJwt) {
      if (token === undefined) throw this.fail(schemes, 'token_missing', undefined);
      req.user = await this.authenticateUser(token, req, schemes, httpArgument(context, 'response'));
    }
    if (useKey) {
      if (key === undefined) throw this.fail(schemes, 'api_key_missing', undefined, principalOf(req));
      try {
        req.apiKey = await this.apiKeys.verify(key);
      } catch (error) {
        if (error instanceof ApiKeyVerificationError) {
          const principal: SecurityPrincipal | undefined = error.keyId
            ? { kind: 'apikey', id: error.keyId }
            : undefined;
          throw this.fail(schemes, error.reason, 'invalid_token', principal);
        }
        throw this.unavailable(error, 'api_key_storage_unavailable');
      }
    }
    // The typed request state is what the later phases (per-user limits) read.
    state.user = req.user;
    state.apiKey = req.apiKey;
    if (this.options.emitSuccessEvents) this.emitSuccess(req, mode);
    return true;
  }

  /** `Authorization: Bearer <token>` (RFC 6750) or `Authorization: DPoP <token>` (RFC 9449 §7.1). */
  private readAccessToken(req: HttpRequest, mode: AuthMode, schemes: readonly Scheme[]): PresentedToken | undefined {
    // Express 5 parses the query string anew on every read of `req.query`: read it only when the
    // URL has one.
    const hasQuery = req.url === undefined || req.url.includes('?');
    if (
      mode !== 'apiKey' &&
      hasQuery &&
      (req.query as Record<string, unknown> | undefined)?.access_token !== undefined
    ) {
      // RFC 6750 §2.3 allows it, but a token in a URL ends up in logs, history and Referer headers.
      throw this.fail(schemes, 'token_in_query', 'invalid_request');
    }
    const header = req.headers.authorization;
    if (typeof header !== 'string') return undefined;
    const scheme = /^bearer(\s|$)/i.test(header.slice(0, 7))
      ? 'Bearer'
      : /^dpop(\s|$)/i.test(header.slice(0, 5))
        ? 'DPoP'
        : undefined;
    if (scheme === undefined) return undefined;
    const token = header.slice(scheme.length + 1).trim();
    const limit = this.options.jwt?.maxTokenBytes ?? 8192;
    if (token.length > limit) throw this.fail(schemes, 'token_too_large', 'invalid_token');
    if (!B64TOKEN.test(token)) throw this.fail(schemes, 'authorization_malformed', 'invalid_request');
    return { token, scheme };
  }

  private readApiKey(req: HttpRequest): string | undefined {
    const value = req.headers[this.options.apiKeys.header];
    return typeof value === 'string' && value.length > 0 ? value : undefined;
  }

  private async authenticateUser(
    { token, scheme }: PresentedToken,
    req: HttpRequest,
    schemes: readonly Scheme[],
    res: object,
  ): Promise<AuthenticatedUser> {
    if (!this.verifier) {
      this.logger.error('A route requires a JWT but AuthModule has no `jwt` options: refusing.');
      throw this.fail(schemes, 'jwt_not_configured', 'invalid_token');
    }
    let verified;
    try {
      verified = await this.verifier.verify(token);
    } catch (error) {
      if (error instanceof TokenVerificationError && error.reason !== 'keys_unavailable') {
        throw this.fail(schemes, error.reason, 'invalid_token');
      }
      throw this.unavailable(error, 'token_keys_unavailable');
    }
    const { claims } = verified;
    // An unbound Bearer token, the common case, has no sender to check: no call, no promise.
    if (scheme === 'DPoP' || claims.cnf?.jkt !== undefined) {
      await this.checkSenderConstraint(token, scheme, claims.cnf?.jkt, req, schemes, res);
    }
    // Fail closed: if the revocation list or the account cannot be read, the token is not accepted.
    let revoked: boolean;
    try {
      revoked = await this.revocations.isRevoked(claims.jti);
    } catch (error) {
      throw this.unavailable(error, 'revocation_list_unavailable');
    }
    const kind = principalKindOf(claims);
    const principal: SecurityPrincipal = { kind, id: kind === 'client' ? (claims.client_id as string) : claims.sub };
    if (revoked) throw this.fail(schemes, 'token_revoked', 'invalid_token', principal);
    let roles = verified.roles;
    let tenantId = verified.tenantId;
    if (kind === 'client' && this.options.clientStatus) {
      // A client's own token speaks for the client: the client registry decides, not the user store
      // (where `client:<id>` is no user and every such token would be refused).
      let client;
      try {
        client = await this.options.clientStatus.find(principal.id, claims);
      } catch (error) {
        throw this.unavailable(error, 'client_status_unavailable');
      }
      if (client?.status !== 'active') {
        throw this.fail(schemes, `client_${client?.status ?? 'unknown'}`, 'invalid_token', principal);
      }
    } else if (this.options.userStatus) {
      let account;
      try {
        account = await this.options.userStatus.find(claims.sub, claims);
      } catch (error) {
        throw this.unavailable(error, 'user_status_unavailable');
      }
      if (account?.status !== 'active') {
        throw this.fail(schemes, `account_${account?.status ?? 'unknown'}`, 'invalid_token', principal);
      }
      if (account.roles) roles = Object.freeze([...account.roles]);
      if (account.tenantId !== undefined) tenantId = account.tenantId;
    }
    return Object.freeze({
      id: claims.sub,
      kind,
      roles,
      scopes: verified.scopes,
      tenantId,
      clientId: claims.client_id,
      tokenId: claims.jti,
      expiresAt: claims.exp,
    });
  }

  /**
   * RFC 9449 §7: a token bound to a key (`cnf.jkt`) is only good with a proof of that key for this
   * very request. Presented as Bearer, it is refused (a thief holding only the token would
   * otherwise just drop the proof); a DPoP proof with an unbound token is refused too.
   */
  private async checkSenderConstraint(
    token: string,
    scheme: 'Bearer' | 'DPoP',
    jkt: string | undefined,
    req: HttpRequest,
    schemes: readonly Scheme[],
    res: object,
  ): Promise<void> {
    const dpopSchemes: Scheme[] = schemes.includes('DPoP') ? [...schemes] : [...schemes, 'DPoP'];
    const algorithms = this.options.jwt?.dpop.algorithms ?? [];
    const refuse = (reason: string, error: 'invalid_token' | 'invalid_dpop_proof'): Error =>
      this.fail(dpopSchemes, reason, error, undefined, { scheme: 'DPoP', dpopAlgorithms: algorithms });
    if (jkt === undefined) throw refuse('token_not_dpop_bound', 'invalid_token');
    if (typeof jkt !== 'string' || scheme === 'Bearer') throw refuse('dpop_bound_token_as_bearer', 'invalid_token');
    if (!this.dpop) throw refuse('dpop_not_configured', 'invalid_token');
    const nonces = this.nonces;
    let presentedNonce: string | undefined;
    try {
      await this.dpop.verify(DpopProofVerifier.headerOf(req.headers), {
        htm: req.method ?? '',
        htu: this.requestUrl(req),
        accessToken: token,
        jkt,
        ...(nonces
          ? {
              nonce: (nonce: string) => {
                presentedNonce = nonce;
                return nonces.isValid(nonce);
              },
            }
          : {}),
      });
      // RFC 9449 §9: a proof with the previous slot's nonce passes, and the answer hands over the
      // current one, so the client's next proof does not need a use_dpop_nonce round trip.
      if (nonces) {
        const current = await nonces.current();
        if (presentedNonce !== current) rawResponse(res).setHeader('DPoP-Nonce', current);
      }
    } catch (error) {
      if (!(error instanceof DpopProofError)) throw this.unavailable(error, 'dpop_replay_cache_unavailable');
      if (!error.useNonce || !nonces) throw refuse(error.reason, 'invalid_dpop_proof');
      // RFC 9449 §9: the client retries with a proof signed over this nonce.
      let dpopNonce: string;
      try {
        dpopNonce = await nonces.current();
      } catch (storeError) {
        throw this.unavailable(storeError, 'dpop_nonce_unavailable');
      }
      throw this.fail(dpopSchemes, error.reason, 'use_dpop_nonce', undefined, {
        scheme: 'DPoP',
        dpopAlgorithms: algorithms,
        dpopNonce,
      });
    }
  }

  /** The URL a DPoP proof's `htu` must name: the configured origin (or protocol + Host) and the path. */
  private requestUrl(req: HttpRequest): string {
    const raw = rawRequest(req) as { url?: string; originalUrl?: string };
    const path = (raw.originalUrl ?? raw.url ?? '/').split('?')[0] ?? '/';
    const origin = this.options.jwt?.dpop.origin;
    if (origin !== undefined) return `${origin}${path}`;
    const host = typeof req.headers.host === 'string' ? req.headers.host : 'invalid.invalid';
    return `${getRequestContext(req).protocol}://${host}${path}`;
  }

  private fail(
    schemes: readonly Scheme[],
    reason: string,
    error: 'invalid_token' | 'invalid_request' | 'invalid_dpop_proof' | 'use_dpop_nonce' | undefined,
    principal?: SecurityPrincipal,
    details?: ChallengeDetails,
  ): Error {
    return authenticationFailed(schemes, this.options.realm, reason, error, principal, details);
  }

  private unavailable(error: unknown, reason: string): Error {
    this.logger.error(`Authentication could not complete (${reason}): ${(error as Error).message}`);
    return new ServiceUnavailableError('Authentication is temporarily unavailable: retry later.', { reason });
  }

  private emitSuccess(req: HttpRequest, mode: AuthMode): void {
    // One per request: built only when a listener (audit, a log that lists it) wants it.
    if (!this.events?.wants('auth.success')) return;
    const context = getRequestContext(req);
    const principal = principalOf(req);
    this.events.emit({
      type: 'auth.success',
      severity: 'info',
      requestId: context.id,
      clientIp: context.clientIp,
      route: routeOf(req),
      reason: mode,
      ...(principal === undefined ? {} : { principal }),
      ...(req.user && req.apiKey ? { details: { keyId: req.apiKey.id } } : {}),
    });
  }
}
