import type { INestApplication } from '@nestjs/common';
import { getRequestContext, useRawMiddleware } from '@rampart/core';
import { ForbiddenError } from '@rampart/errors';

/** Options of {@link useHttpsRedirect}. @publicApi */
export interface HttpsRedirectOptions {
  /** Off unless enabled: behind a TLS-terminating proxy, set the core's `trustedProxies` too. @default false */
  enabled?: boolean;
  /**
   * The host to redirect to. Set it in production: without it the request's `Host` header is
   * used, and a forged one would turn the redirect into an open redirect.
   */
  host?: string;
  /** @default 443 */
  httpsPort?: number;
}

/** Safe hosts: letters, digits, dots, dashes, an optional port. Anything else is not echoed back. */
const SAFE_HOST = /^[A-Za-z0-9.-]{1,253}(?::\d{1,5})?$/;

/**
 * Moves plain-HTTP requests to HTTPS: `301` for GET and HEAD, `403` problem+json for other
 * methods — redirecting a POST would have the client resend its body, credentials included,
 * after it has already crossed the network in the clear. A request is HTTPS when its socket is
 * TLS, or when a trusted proxy says so in `X-Forwarded-Proto`.
 * @publicApi
 * @example
 * useHttpsRedirect(app, { enabled: process.env.NODE_ENV === 'production', host: 'api.example.com' });
 */
export function useHttpsRedirect(app: INestApplication, options: HttpsRedirectOptions = {}): void {
  if (options.enabled !== true) return;
  if (options.host !== undefined && !SAFE_HOST.test(options.host)) {
    throw new TypeError(`useHttpsRedirect: "${options.host}" is not a host name`);
  }
  const port = options.httpsPort ?? 443;
  useRawMiddleware(
    app,
    (req, res, next) => {
      if (getRequestContext(req).protocol === 'https') return next();
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        return next(
          new ForbiddenError('This API is served over HTTPS only; send the request to its https:// address.', {
            reason: 'plain_http',
          }),
        );
      }
      const requestHost = (req.headers.host ?? '').replace(/:\d+$/, '');
      const host = options.host ?? (SAFE_HOST.test(requestHost) ? requestHost : undefined);
      if (host === undefined) {
        return next(new ForbiddenError('This API is served over HTTPS only.', { reason: 'plain_http' }));
      }
      const authority = port === 443 || host.includes(':') ? host : `${host}:${port}`;
      res.statusCode = 301;
      res.setHeader('Location', `https://${authority}${req.url ?? '/'}`);
      res.end();
    },
    'httpsRedirect',
  );
}
