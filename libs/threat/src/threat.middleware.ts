import type { INestApplication } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { getRequestContext, InvalidOptionsError, useRawMiddleware } from '@rampart/core';
import { ThreatDetectedError } from '@rampart/errors';
import type { IncomingMessage } from 'node:http';
import type { BanRecord, ThreatService } from './threat.service';

// Side tables rather than properties added to every request: adding properties to Node's request
// objects after construction changes their shape and slows every later access to them.
const routes = new WeakMap<IncomingMessage, string>();
let installed = false;

/** Called by the guard: the route template, counted for scanning instead of the concrete path. */
export function markRoute(req: IncomingMessage, route: string): void {
  routes.set(req, route);
}

/** Whether any application installed {@link useThreatDetection} (for a one-time warning). */
export function middlewareInstalled(): boolean {
  return installed;
}

/** The path of an unmatched request, without the query, bounded: what a scanner probes. */
function unmatchedEndpoint(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const mark = url.indexOf('?');
  return `${req.method ?? 'GET'} ${(mark < 0 ? url : url.slice(0, mark)).slice(0, 200)} (unmatched)`;
}

/**
 * The ThreatService of each application, keyed by its HttpAdapterHost (which every Nest
 * application has), filled by ThreatModule: `app.get(ThreatService)` of a module that was not
 * imported ends the process (Nest's abortOnError) instead of throwing.
 */
const servicesByApp = new WeakMap<HttpAdapterHost, ThreatService>();

/** Called by ThreatModule's provider factory. */
export function registerThreatService(host: HttpAdapterHost, service: ThreatService): void {
  servicesByApp.set(host, service);
}

/**
 * Refuses banned clients before anything else reads their request (403 THREAT_DETECTED, on
 * every instance sharing the store) and records each response for the behaviour signals: rate,
 * distinct endpoints, errors. Runs for every request, 404s included, which is where scanners
 * show. Call it after `useRequestContext(app)` (it needs the client IP) and before `listen()`.
 *
 * The ban lookup is cached per client for `store.banCacheMs` (1 s) and waits for the store at
 * most `store.deadlineMs` (40 ms). When the store fails or is slow, requests are let through, the
 * store is skipped for `store.cooldownMs` and then probed again, and one warning is logged per
 * outage: threat detection is a layer of defence in depth, and an outage of it must not become an
 * outage (or a slowdown) of the API. Input inspection, which needs no store, keeps working.
 * @publicApi
 * @example
 * useRequestContext(app);
 * useThreatDetection(app);
 */
export function useThreatDetection(app: INestApplication): void {
  const threat = servicesByApp.get(app.get(HttpAdapterHost));
  if (!threat) {
    throw new InvalidOptionsError(
      'THREAT_INVALID_OPTIONS',
      'useThreatDetection(app) needs ThreatModule.forRoot() among the imports of the application module.',
    );
  }
  installed = true;
  useRawMiddleware(app, (req, res, next) => {
    const client = getRequestContext(req).clientIp;
    if (threat.isTrusted(client)) return next();
    const proceed = (ban: BanRecord | undefined): void => {
      if (ban && !threat.isBanExempt(req.url)) {
        return next(
          new ThreatDetectedError(undefined, {
            reason: 'client_banned',
            eventDetails: {
              decision: 'refused',
              kind: ban.kind,
              reasons: ban.reasons,
              until: new Date(ban.until).toISOString(),
            },
          }),
        );
      }
      res.once('finish', () => {
        threat.observeInBackground(client, routes.get(req) ?? unmatchedEndpoint(req), res.statusCode);
      });
      next();
    };
    const ban = threat.lookupBan(client);
    // Cached answers are applied synchronously: no promise hop on most requests.
    if (ban instanceof Promise) void ban.then(proceed);
    else proceed(ban);
  });
}
