import type { INestApplication } from '@nestjs/common';
import { getRequestState, InvalidOptionsError, pipelineOf, RampartPart, useRawMiddleware } from '@rampart/core';
import { ThreatDetectedError } from '@rampart/errors';
import type { IncomingMessage } from 'node:http';
import type { BanRecord, ThreatService } from './threat.service';
import type { RawMiddleware } from '@rampart/core';

/** Installed by ThreatModule: the application's ThreatService, for {@link useThreatDetection}. */
export const THREAT_PART = new RampartPart<ThreatService>('ThreatModule');

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
 * show. It runs in the `threat` slot of the platform chain (after the request context and the
 * security headers, whatever the call order); call it before `listen()`, or call `useRampart(app)`.
 *
 * The ban lookup is cached per client for `store.banCacheMs` (1 s) and gives up on a store that has
 * answered nothing for `store.deadlineMs` (40 ms). When the store fails or is silent, requests are
 * let through unless this instance has seen a ban of the client (enforced until it ends), the
 * store is skipped for `store.cooldownMs` and then probed again, and one warning is logged per
 * outage: threat detection is a layer of defence in depth, and an outage of it must not become an
 * outage (or a slowdown) of the API. Input inspection, which needs no store, keeps working.
 * @publicApi
 * @example
 * useRequestContext(app);
 * useThreatDetection(app);
 */
export function useThreatDetection(app: INestApplication): void {
  const threat = pipelineOf(app)?.part(THREAT_PART);
  if (!threat) {
    throw new InvalidOptionsError(
      'THREAT_INVALID_OPTIONS',
      'useThreatDetection(app) needs ThreatModule.forRoot() among the imports of the application module.',
    );
  }
  useRawMiddleware(app, threatMiddleware(threat), 'threat');
}

function threatMiddleware(threat: ThreatService): RawMiddleware {
  return (req, res, next) => {
    const state = getRequestState(req);
    const client = state.context.clientKey;
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
        // The route template (set by the pipeline guard) counts for scanning, not the concrete path.
        threat.observeInBackground(client, state.route ?? unmatchedEndpoint(req), res.statusCode);
      });
      next();
    };
    const ban = threat.lookupBan(client);
    // Cached answers are applied synchronously: no promise hop on most requests.
    if (ban instanceof Promise) void ban.then(proceed);
    else proceed(ban);
  };
}
