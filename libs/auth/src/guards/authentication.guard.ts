import { Inject, Injectable, Logger, Optional, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  SecurityEvents,
  getRequestContext,
  getRequestState,
  principalOf,
  routeOf,
  type SecurityPrincipal,
} from '@rampart/core';
import { ServiceUnavailableError } from '@rampart/errors';
import { ApiKeyService, ApiKeyVerificationError } from '../api-keys/api-key.service';
import { AUTH_MODE_KEY, IS_PUBLIC_KEY, RAMPART_AUTH_OPTIONS } from '../auth.constants';
import { authenticationFailed, type Scheme } from '../auth.errors';
import type { AuthMode, ResolvedAuthOptions } from '../auth.options';
import type { AuthenticatedRequest, AuthenticatedUser } from '../principal';
import { JwtVerifier, TokenVerificationError } from '../tokens/jwt-verifier';
import { principalKindOf } from '../tokens/access-token';
import { TokenRevocationList } from '../tokens/token-revocation';

/** Injection token of the {@link JwtVerifier} (absent when no `jwt` options are given). */
export const JWT_VERIFIER = Symbol('RAMPART_JWT_VERIFIER');

/** RFC 6750 §2.1 b64token, checked after the length bound so the regex sees a short input. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

type HttpRequest = AuthenticatedRequest & { headers: Record<string, string | string[] | undefined>; query?: unknown };

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
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC_KEY, targets) === true) return true;
    const mode =
      this.reflector.getAllAndOverride<AuthMode | undefined>(AUTH_MODE_KEY, targets) ?? this.options.defaultMode;
    const req = context.switchToHttp().getRequest<HttpRequest>();
    const schemes = SCHEMES[mode];
    // Never trust a value something else put there: only this guard sets the identity.
    delete req.user;
    delete req.apiKey;
    const state = getRequestState(req);
    state.user = undefined;
    state.apiKey = undefined;

    const token = this.readBearer(req, mode, schemes);
    const key = this.readApiKey(req);
    const useJwt = mode === 'jwt' || mode === 'both' || (mode === 'either' && token !== undefined);
    const useKey = mode === 'apiKey' || mode === 'both' || (mode === 'either' && key !== undefined);
    if (!useJwt && !useKey) throw this.fail(schemes, 'credentials_missing', undefined);
    if (useJwt) {
      if (token === undefined) throw this.fail(schemes, 'token_missing', undefined);
      req.user = await this.authenticateUser(token, schemes);
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

  private readBearer(req: HttpRequest, mode: AuthMode, schemes: readonly Scheme[]): string | undefined {
    if (mode !== 'apiKey' && (req.query as Record<string, unknown> | undefined)?.access_token !== undefined) {
      // RFC 6750 §2.3 allows it, but a token in a URL ends up in logs, history and Referer headers.
      throw this.fail(schemes, 'token_in_query', 'invalid_request');
    }
    const header = req.headers.authorization;
    if (typeof header !== 'string' || !/^bearer(\s|$)/i.test(header.slice(0, 7))) return undefined;
    const token = header.slice(7).trim();
    const limit = this.options.jwt?.maxTokenBytes ?? 8192;
    if (token.length > limit) throw this.fail(schemes, 'token_too_large', 'invalid_token');
    if (!B64TOKEN.test(token)) throw this.fail(schemes, 'authorization_malformed', 'invalid_request');
    return token;
  }

  private readApiKey(req: HttpRequest): string | undefined {
    const value = req.headers[this.options.apiKeys.header];
    return typeof value === 'string' && value.length > 0 ? value : undefined;
  }

  private async authenticateUser(token: string, schemes: readonly Scheme[]): Promise<AuthenticatedUser> {
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
    // Fail closed: if the revocation list or the account cannot be read, the token is not accepted.
    let revoked: boolean;
    try {
      revoked = await this.revocations.isRevoked(claims.jti);
    } catch (error) {
      throw this.unavailable(error, 'revocation_list_unavailable');
    }
    if (revoked) throw this.fail(schemes, 'token_revoked', 'invalid_token', { kind: 'user', id: claims.sub });
    let roles = verified.roles;
    let tenantId = verified.tenantId;
    if (this.options.userStatus) {
      let account;
      try {
        account = await this.options.userStatus.find(claims.sub, claims);
      } catch (error) {
        throw this.unavailable(error, 'user_status_unavailable');
      }
      if (account?.status !== 'active') {
        throw this.fail(schemes, `account_${account?.status ?? 'unknown'}`, 'invalid_token', {
          kind: 'user',
          id: claims.sub,
        });
      }
      if (account.roles) roles = Object.freeze([...account.roles]);
      if (account.tenantId !== undefined) tenantId = account.tenantId;
    }
    return Object.freeze({
      id: claims.sub,
      kind: principalKindOf(claims),
      roles,
      scopes: verified.scopes,
      tenantId,
      clientId: claims.client_id,
      tokenId: claims.jti,
      expiresAt: claims.exp,
    });
  }

  private fail(
    schemes: readonly Scheme[],
    reason: string,
    error: 'invalid_token' | 'invalid_request' | undefined,
    principal?: SecurityPrincipal,
  ): Error {
    return authenticationFailed(schemes, this.options.realm, reason, error, principal);
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
