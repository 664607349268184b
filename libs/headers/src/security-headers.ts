import type { INestApplication } from '@nestjs/common';
import { setBaselineHeaders, useRawMiddleware } from '@rampart/core';
import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet, { type HelmetOptions } from 'helmet';
import { applyPathOverride } from './path-overrides';

/** Options of the API security-header preset. @publicApi */
export interface SecurityHeadersOptions {
  /**
   * Strict-Transport-Security. `preload` is opt-in: once a domain is on the browsers' preload list,
   * leaving it takes months, so it must be a deliberate choice.
   * @default { maxAge: 31536000, includeSubDomains: true, preload: false }
   */
  hsts?: { maxAge?: number; includeSubDomains?: boolean; preload?: boolean } | false;
  /**
   * Content-Security-Policy. An API serves data, not documents: nothing may load and nothing may
   * frame it. Routes serving HTML relax it with `@SecurityHeaders()`.
   * @default "default-src 'none'; frame-ancestors 'none'"
   */
  contentSecurityPolicy?: string;
  /** Responses of an API are per caller and often personal: nothing may cache them. @default 'no-store' */
  cacheControl?: string | false;
  /** @default every powerful browser feature denied */
  permissionsPolicy?: string;
  /** @default 'same-origin' */
  crossOriginResourcePolicy?: 'same-origin' | 'same-site' | 'cross-origin';
}

export const DEFAULT_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'";

export const DEFAULT_PERMISSIONS_POLICY = [
  'accelerometer',
  'autoplay',
  'camera',
  'display-capture',
  'encrypted-media',
  'fullscreen',
  'geolocation',
  'gyroscope',
  'magnetometer',
  'microphone',
  'midi',
  'payment',
  'picture-in-picture',
  'publickey-credentials-get',
  'screen-wake-lock',
  'sync-xhr',
  'usb',
  'xr-spatial-tracking',
]
  .map((feature) => `${feature}=()`)
  .join(', ');

function parseCsp(policy: string): Record<string, string[]> {
  const directives: Record<string, string[]> = {};
  for (const part of policy.split(';')) {
    const [name, ...values] = part.trim().split(/\s+/);
    if (name) directives[name] = values;
  }
  return directives;
}

/** The helmet configuration of Rampart's API preset. @publicApi */
export function helmetOptions(options: SecurityHeadersOptions = {}): HelmetOptions {
  const hsts = options.hsts ?? {};
  return {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: parseCsp(options.contentSecurityPolicy ?? DEFAULT_CONTENT_SECURITY_POLICY),
    },
    strictTransportSecurity:
      hsts === false
        ? false
        : {
            maxAge: hsts.maxAge ?? 31_536_000,
            includeSubDomains: hsts.includeSubDomains ?? true,
            preload: hsts.preload ?? false,
          },
    crossOriginResourcePolicy: { policy: options.crossOriginResourcePolicy ?? 'same-origin' },
    crossOriginOpenerPolicy: { policy: 'same-origin' },
    referrerPolicy: { policy: 'no-referrer' },
    xFrameOptions: { action: 'deny' },
    xContentTypeOptions: true,
    // "X-XSS-Protection: 0": the old "1; mode=block" switched on browsers' XSS auditors, which were
    // removed because attackers could use them to leak data or disable page scripts (itself an XSS).
    xXssProtection: true,
    xPoweredBy: true,
    xDnsPrefetchControl: { allow: false },
    xPermittedCrossDomainPolicies: { permittedPolicies: 'none' },
    xDownloadOptions: true,
    originAgentCluster: true,
  };
}

/**
 * Sets Rampart's API security headers on every response — 2xx, 4xx, 5xx and unknown routes — on
 * Express and Fastify alike. It runs in the `headers` slot of the platform chain, right after the
 * request context whatever the call order; call it before `listen()`, or call `useRampart(app)`.
 * Do not also call Nest's `app.useSecurityHeaders()` or register helmet yourself: the headers
 * would be set twice, with the last writer's values winning.
 * @publicApi
 * @example
 * useSecurityHeaders(app, { hsts: { preload: true } });
 */
export function useSecurityHeaders(app: INestApplication, options: SecurityHeadersOptions = {}): void {
  const permissionsPolicy = options.permissionsPolicy ?? DEFAULT_PERMISSIONS_POLICY;
  const cacheControl = options.cacheControl ?? 'no-store';
  const helmetHeaders = staticHelmetHeaders(helmet(helmetOptions(options)));
  const headers: Record<string, string> = {
    'Permissions-Policy': permissionsPolicy,
    ...(cacheControl === false ? {} : { 'Cache-Control': cacheControl }),
    ...helmetHeaders.set,
  };
  // Helmet runs once, at start-up: with string options its headers never depend on the request,
  // so each request gets the recorded set (one loop) instead of helmet's fourteen middlewares.
  // Names in lower case: Node's setHeader lower-cases every name it stores, and an already
  // lower-case one costs no new string (about 2 µs less per response for these fourteen).
  // Header names are case-insensitive (RFC 9110 §5.1); Fastify writes its own in lower case too.
  const entries = Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value] as const);
  const removed = helmetHeaders.removed.map((name) => name.toLowerCase());
  const platformInstance = app.getHttpAdapter().getInstance() as object;
  useRawMiddleware(
    app,
    (req, res, next) => {
      for (const [name, value] of entries) res.setHeader(name, value);
      for (const name of removed) res.removeHeader(name);
      applyPathOverride(platformInstance, req.url, res);
      next();
    },
    'headers',
  );
  setBaselineHeaders(app, headers);
}

/**
 * The headers helmet sets (and removes), collected once: they depend on the options only, never
 * on the request (every option above is a string, none a per-request function).
 */
function staticHelmetHeaders(setHelmetHeaders: ReturnType<typeof helmet>): {
  set: Record<string, string>;
  removed: string[];
} {
  const set: Record<string, string> = {};
  const removed: string[] = [];
  const collector = {
    setHeader: (name: string, value: unknown) => {
      set[name] = String(value);
    },
    removeHeader: (name: string) => {
      removed.push(name);
    },
  };
  let done = false as boolean;
  setHelmetHeaders({} as IncomingMessage, collector as unknown as ServerResponse, () => {
    done = true;
  });
  // Helmet calls next synchronously; a version that did not would leave headers unrecorded.
  if (!done) throw new Error('helmet did not set its headers synchronously');
  return { set, removed };
}
