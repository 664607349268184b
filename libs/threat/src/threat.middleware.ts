import type { INestApplication } from '@nestjs/common';
import { getRequestContext, useRawMiddleware } from '@rampart/core';
import { ThreatDetectedError } from '@rampart/errors';
import type { IncomingMessage } from 'node:http';
import { ThreatService } from './threat.service';

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
 * Refuses banned clients before anything else reads their request (403 THREAT_DETECTED, on
 * every instance sharing the store) and records each response for the behaviour signals: rate,
 * distinct endpoints, errors. Runs for every request, 404s included, which is where scanners
 * show. Call it after `useRequestContext(app)` (it needs the client IP) and before `listen()`.
 *
 * When the store fails, requests are let through and a warning is logged once a minute: threat
 * detection is a layer of defence in depth, and an outage of it must not become an outage of the
 * API. Input inspection, which needs no store, keeps working.
 * @publicApi
 * @example
 * useRequestContext(app);
 * useThreatDetection(app);
 */
export function useThreatDetection(app: INestApplication): void {
  const threat = app.get(ThreatService, { strict: false });
  installed = true;
  useRawMiddleware(app, (req, res, next) => {
    const client = getRequestContext(req).clientIp;
    if (threat.isTrusted(client)) return next();
    threat.getBan(client).then(
      (ban) => {
        if (ban) {
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
          const endpoint = routes.get(req) ?? unmatchedEndpoint(req);
          threat.observe(client, endpoint, res.statusCode).catch((error: unknown) => {
            threat.storeFailed(error);
          });
        });
        next();
      },
      (error: unknown) => {
        threat.storeFailed(error);
        next();
      },
    );
  });
}
