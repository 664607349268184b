import type { INestApplication } from '@nestjs/common';

const byInstance = new WeakMap<object, Readonly<Record<string, string>>>();

/**
 * Records the headers every response of an application must carry (the security-header preset),
 * so that answers made outside the middleware chain — an error raised before the headers
 * middleware ran, Node's own 400/408/431, a URL the router cannot decode — carry them too.
 * Called by `useSecurityHeaders(app)`.
 * @publicApi
 */
export function setBaselineHeaders(app: INestApplication, headers: Readonly<Record<string, string>>): void {
  byInstance.set(app.getHttpAdapter().getInstance() as object, Object.freeze({ ...headers }));
}

/** The baseline headers of the application whose platform instance (Express app, Fastify) is given. */
export function baselineHeadersOf(platformInstance: object): Readonly<Record<string, string>> {
  return byInstance.get(platformInstance) ?? {};
}
