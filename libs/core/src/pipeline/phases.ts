/**
 * The guard phases of every routed request, in the one order Rampart runs them, whatever order
 * the modules were imported in:
 * - `threat`: input inspection, before anything else reads the request;
 * - `preAuthenticationLimits`: limits keyed by what is known before authentication (IP, route),
 *   so a flood of bad credentials is limited before each costs a signature check;
 * - `authenticate`: who is calling (JWT, API key);
 * - `authorize`: what they may do (scopes, roles);
 * - `postAuthenticationLimits`: limits keyed by the caller (user, API key, a key function);
 * - `routeLimits`: the route's own request limits (`@RequestLimits()`) and its deadline, last, so
 *   the timeout runs from there to the handler's answer.
 * @publicApi
 */
export type GuardPhase =
  'threat' | 'preAuthenticationLimits' | 'authenticate' | 'authorize' | 'postAuthenticationLimits' | 'routeLimits';

/** {@link GuardPhase}s in run order. @publicApi */
export const GUARD_PHASES: readonly GuardPhase[] = Object.freeze([
  'threat',
  'preAuthenticationLimits',
  'authenticate',
  'authorize',
  'postAuthenticationLimits',
  'routeLimits',
]);

/**
 * The slots of the platform middleware chain (see `useRawMiddleware`), in run order:
 * - `context`: request id, client IP, protocol — everything after it reads them;
 * - `headers`: security headers, set before anything can answer, so every response carries them
 *   (a ban's 403, a 413, a redirect);
 * - `threat`: banned clients refused before any other work;
 * - `httpsRedirect`: plain HTTP moved to HTTPS;
 * - `limits`: URL, header, query, body size and media type limits (414/431/400/413/415);
 * - `cors`: CORS headers and preflights, for requests that passed the limits.
 * Middlewares installed without a slot run after these, in the order they were installed.
 * @publicApi
 */
export type MiddlewareSlot = 'context' | 'headers' | 'threat' | 'httpsRedirect' | 'limits' | 'cors';

/** {@link MiddlewareSlot}s in run order. @publicApi */
export const MIDDLEWARE_SLOTS: readonly MiddlewareSlot[] = Object.freeze([
  'context',
  'headers',
  'threat',
  'httpsRedirect',
  'limits',
  'cors',
]);
