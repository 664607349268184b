import { Public } from '@rampart/auth';
import { Controller, Get, Header, Inject, Post, Req, Res, type Type } from '@nestjs/common';
import { getRequestContext, rawRequest, routeOf, StoreUnavailableError } from '@rampart/core';
import { OAuthParams } from './http/params';
import { removeCorsHeaders, sendEmpty, sendJson, sendRedirect, type PlatformResponse } from './http/respond';
import { OAuthError } from './oauth.errors';
import type { ResolvedRoutes } from './oauth.options';
import { OAuthServer, type OAuthRequestContext } from './oauth-server.service';

interface HttpRequest {
  headers: Record<string, string | string[] | undefined>;
  body?: unknown;
}

const FORM = 'application/x-www-form-urlencoded';

function contextOf(req: object): OAuthRequestContext {
  const context = getRequestContext(req);
  return { requestId: context.id, clientIp: context.clientIp, route: routeOf(req) };
}

function header(req: HttpRequest, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' ? value : undefined;
}

/** RFC 6749 §3.2: token-endpoint parameters come form-encoded in the body, never as JSON or query. */
function formParams(req: HttpRequest): OAuthParams {
  const type = (header(req, 'content-type') ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== FORM) throw new OAuthError('invalid_request', `Send the parameters as ${FORM}.`, 'media_type');
  return OAuthParams.fromBody(req.body);
}

/** The request's `DPoP` header; a repeated one is refused (RFC 9449 §4.3: exactly one proof). */
function dpopHeader(req: HttpRequest): string | undefined {
  const value = req.headers.dpop;
  if (Array.isArray(value)) throw new OAuthError('invalid_dpop_proof', 'Send one DPoP proof.', 'dpop_proof_repeated');
  return value;
}

function sendError(res: PlatformResponse, error: OAuthError, extra: Record<string, string> = {}): void {
  // RFC 6749 §5.2: invalid_client is a 401 with a challenge for the scheme clients may use.
  const headers: Record<string, string> = {
    ...(error.status === 401 ? { 'WWW-Authenticate': 'Basic realm="oauth"' } : {}),
    ...extra,
  };
  if (error.status === 503) headers['Retry-After'] = String(error.retryAfterSeconds ?? 5);
  sendJson(res, error.status, error.toJSON(), headers);
}

/**
 * Answers an endpoint's failure in the RFC 6749 shape its clients parse: a protocol error as it is,
 * a store outage (while reading the session, a grant, the revocation list) as 503
 * `temporarily_unavailable` with Retry-After. Anything else is a bug, for the error filter.
 */
function sendFailure(res: PlatformResponse, error: unknown, extra: Record<string, string> = {}): void {
  if (error instanceof StoreUnavailableError) {
    sendError(
      res,
      new OAuthError(
        'temporarily_unavailable',
        'The authorization server is temporarily unavailable: retry later.',
        'store_unavailable',
        error.retryAfterSeconds,
      ),
    );
    return;
  }
  if (!(error instanceof OAuthError)) throw error;
  sendError(res, error, extra);
}

/**
 * Builds the endpoints' controller with the configured paths. Every endpoint is `@Public()` to the
 * resource-server guard: the token, revocation and introspection endpoints authenticate clients
 * themselves; the authorization endpoint asks the host application who the user is.
 */
export function createOAuthServerController(routes: ResolvedRoutes): Type {
  @Public()
  @Controller()
  class OAuthServerController {
    constructor(@Inject(OAuthServer) private readonly server: OAuthServer) {}

    @Get(routes.metadata)
    @Header('Cache-Control', 'public, max-age=300')
    metadata(): Record<string, unknown> {
      return this.server.metadata();
    }

    @Get(routes.jwks)
    @Header('Cache-Control', 'public, max-age=300')
    jwks(): object {
      return this.server.jwks();
    }

    @Get(routes.authorize)
    async authorize(@Req() req: HttpRequest, @Res() res: PlatformResponse): Promise<void> {
      removeCorsHeaders(res);
      const raw = rawRequest(req) as { url?: string; originalUrl?: string };
      const url = raw.originalUrl ?? raw.url ?? '';
      const query = url.includes('?') ? url.slice(url.indexOf('?') + 1) : '';
      try {
        const outcome = await this.server.authorize(query, req, contextOf(req));
        if ('redirect' in outcome) sendRedirect(res, outcome.redirect);
        else sendError(res, outcome.error);
      } catch (error) {
        sendFailure(res, error);
      }
    }

    @Post(routes.token)
    async token(@Req() req: HttpRequest, @Res() res: PlatformResponse): Promise<void> {
      // With nonces required, every answer carries the current one (RFC 9449 §8.2).
      const extra: Record<string, string> = {};
      try {
        const nonce = await this.server.dpopNonce();
        if (nonce !== undefined) extra['DPoP-Nonce'] = nonce;
        const context = { ...contextOf(req), dpop: dpopHeader(req) };
        const response = await this.server.token(formParams(req), header(req, 'authorization'), context);
        sendJson(res, 200, response, extra);
      } catch (error) {
        sendFailure(res, error, extra);
      }
    }

    @Post(routes.revoke)
    async revoke(@Req() req: HttpRequest, @Res() res: PlatformResponse): Promise<void> {
      try {
        await this.server.revoke(formParams(req), header(req, 'authorization'), contextOf(req));
        sendEmpty(res, 200);
      } catch (error) {
        sendFailure(res, error);
      }
    }

    @Post(routes.par)
    async par(@Req() req: HttpRequest, @Res() res: PlatformResponse): Promise<void> {
      // A DPoP proof may come with the pushed request (RFC 9449 §10.1): nonces as at the token endpoint.
      const extra: Record<string, string> = {};
      try {
        const nonce = await this.server.dpopNonce();
        if (nonce !== undefined) extra['DPoP-Nonce'] = nonce;
        const context = { ...contextOf(req), dpop: dpopHeader(req) };
        const response = await this.server.pushAuthorizationRequest(
          formParams(req),
          header(req, 'authorization'),
          context,
        );
        sendJson(res, 201, response, extra);
      } catch (error) {
        sendFailure(res, error, extra);
      }
    }

    @Post(routes.introspect)
    async introspect(@Req() req: HttpRequest, @Res() res: PlatformResponse): Promise<void> {
      try {
        sendJson(res, 200, await this.server.introspect(formParams(req), header(req, 'authorization'), contextOf(req)));
      } catch (error) {
        sendFailure(res, error);
      }
    }
  }
  for (const [endpoint, decorators] of Object.entries(routes.decorators)) {
    const descriptor = Object.getOwnPropertyDescriptor(OAuthServerController.prototype, endpoint);
    if (descriptor) for (const decorate of decorators) decorate(OAuthServerController.prototype, endpoint, descriptor);
  }
  return OAuthServerController;
}
