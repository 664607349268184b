import type { INestApplication } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import type { SecurityHeadersOverride } from './security-headers.decorator';

const HEADER_NAMES: Readonly<Record<keyof SecurityHeadersOverride, string>> = {
  contentSecurityPolicy: 'Content-Security-Policy',
  cacheControl: 'Cache-Control',
  crossOriginResourcePolicy: 'Cross-Origin-Resource-Policy',
};

const byInstance = new WeakMap<object, Map<string, SecurityHeadersOverride>>();

/**
 * Overrides the preset's headers under one path prefix, for pages that are not controllers and so
 * cannot carry `@SecurityHeaders()`: Swagger UI served by `SwaggerModule.setup`. Matches the
 * prefix itself and what lies below it (`/docs`, `/docs/…`), never `/docs-json` or `/docsx`; where
 * two prefixes match, the longer one applies.
 * @publicApi
 * @example
 * overrideSecurityHeaders(app, '/docs', { contentSecurityPolicy: "default-src 'self'" });
 */
export function overrideSecurityHeaders(
  app: INestApplication,
  pathPrefix: string,
  override: SecurityHeadersOverride,
): void {
  const prefix = `/${pathPrefix.replace(/^\/+|\/+$/g, '')}`;
  const instance = app.getHttpAdapter().getInstance() as object;
  const overrides = byInstance.get(instance) ?? new Map<string, SecurityHeadersOverride>();
  overrides.set(prefix, Object.freeze({ ...override }));
  // The most specific prefix wins (`/docs/oauth2-redirect.html` over `/docs`), whatever the call order.
  byInstance.set(instance, new Map([...overrides].sort(([a], [b]) => b.length - a.length)));
}

/** Applies the override whose prefix matches `url`, if any (called by the headers middleware). */
export function applyPathOverride(platformInstance: object, url: string | undefined, res: ServerResponse): void {
  const overrides = byInstance.get(platformInstance);
  if (!overrides || !url) return;
  const path = url.split('?', 1)[0] ?? '';
  // A dot segment (`/docs/../admin`, encoded or not) would match the prefix while the router
  // serves another route: such a path keeps the strict headers.
  if (/(^|\/)(\.|%2e){1,2}(\/|$)/i.test(path)) return;
  for (const [prefix, override] of overrides) {
    if (path !== prefix && !path.startsWith(`${prefix}/`)) continue;
    for (const [key, value] of Object.entries(override) as [keyof SecurityHeadersOverride, string | false][]) {
      if (value === false) res.removeHeader(HEADER_NAMES[key]);
      else res.setHeader(HEADER_NAMES[key], value);
    }
    return;
  }
}
