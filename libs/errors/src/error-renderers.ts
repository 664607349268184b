import type { Problem } from './problem';

/** What a route-scoped renderer sends instead of the problem document. @publicApi */
export interface RenderedError {
  readonly status: number;
  readonly contentType: string;
  /** Serialised already: sent as it is. */
  readonly body: string;
}

/**
 * Renders a refusal for routes whose clients expect another error format than RFC 9457 (the OAuth
 * endpoints: RFC 6749 §5.2 JSON). Given the problem the filter decided on (status, fixed wording,
 * headers such as `Retry-After`), never the exception itself. @publicApi
 */
export type ErrorRenderer = (problem: Problem) => RenderedError;

interface ScopedRenderer {
  readonly paths: ReadonlySet<string>;
  readonly render: ErrorRenderer;
}

const byInstance = new WeakMap<object, ScopedRenderer[]>();

/** A request target's path, without query, trailing slash or case: what the routers match on. */
function normalisedPath(url: string): string {
  const end = url.indexOf('?');
  const path = (end < 0 ? url : url.slice(0, end)).replace(/\/+$/, '');
  return (path === '' ? '/' : path).toLowerCase();
}

/**
 * Has every error answered on `paths` (exact request paths, e.g. `/oauth/token`) rendered by
 * `render` — whichever layer refused the request: request limits, body parsing, threat detection,
 * rate limits, an outage, the handler. Matched on the path, not the route, because the layers
 * before routing refuse too. Elsewhere, problem+json. Registered per application (its platform
 * instance), e.g. by `OAuthServerModule` for its token, revocation, introspection and PAR endpoints.
 * @publicApi
 * @example
 * useErrorRenderer(app.getHttpAdapter().getInstance(), ['/oauth/token'], (p) => ({
 *   status: p.status, contentType: 'application/json', body: JSON.stringify({ error: 'invalid_request' }),
 * }));
 */
export function useErrorRenderer(platformInstance: object, paths: readonly string[], render: ErrorRenderer): void {
  const list = byInstance.get(platformInstance) ?? [];
  list.push({ paths: new Set(paths.map(normalisedPath)), render });
  byInstance.set(platformInstance, list);
}

/** The renderer registered for the path of `url` on this application, if any. */
export function errorRendererFor(platformInstance: object, url: string | undefined): ErrorRenderer | undefined {
  const list = byInstance.get(platformInstance);
  if (!list || url === undefined) return undefined;
  const path = normalisedPath(url);
  return list.find((entry) => entry.paths.has(path))?.render;
}
