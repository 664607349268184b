import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { getRequestState, rawRequest, routeOf } from '@rampart/core';
import type { IncomingMessage } from 'node:http';
import { routePolicy } from './threat-policy.decorator';
import { ThreatService, type RouteInspection } from './threat.service';
import { routeInspection } from './field-policy';
import type { ThreatMode } from './threat.options';
import { readUnparsedBody } from './unparsed-body';

/** body-parser's default JSON limit: the most a JSON:API or GraphQL body read by the guard may carry. */
const UNPARSED_BODY_LIMIT = 100 * 1024;

/**
 * Inspects every routed request's input (path, query, selected headers, cookies, body) and
 * applies the route's mode: refuses it with 403 THREAT_DETECTED when the score reaches the
 * threshold in `block` or `ban` mode (and bans the client in `ban` mode), reports it otherwise.
 * The problem document never echoes the input. {@link ThreatModule} runs it as the `threat` phase
 * of Rampart's pipeline: first, so attacks are refused before anything else reads them.
 * @publicApi
 */
@Injectable()
export class ThreatGuard implements CanActivate {
  constructor(
    private readonly threat: ThreatService,
    private readonly reflector: Reflector,
  ) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const req = context.switchToHttp().getRequest<object & { body?: unknown }>();
    const raw = rawRequest(req);
    const state = getRequestState(req);
    const route = (state.route ??= routeOf(req));
    const policy = routePolicy(this.reflector, context);
    const mode = policy?.mode ?? this.threat.options.mode;
    if (mode === 'off') return true;
    // Express leaves JSON:API and GraphQL bodies unread: read them here rather than not inspect them.
    const unparsed = req.body === undefined ? readUnparsedBody(raw, UNPARSED_BODY_LIMIT) : undefined;
    if (unparsed) {
      return unparsed.then(({ inspected, body }) => {
        req.body = body;
        return this.inspectAndEnforce(req, raw, route, mode, routeInspection(context, policy), inspected);
      });
    }
    return this.inspectAndEnforce(req, raw, route, mode, routeInspection(context, policy), req.body);
  }

  private inspectAndEnforce(
    req: object,
    raw: IncomingMessage,
    route: string,
    mode: ThreatMode,
    policy: RouteInspection,
    body: unknown,
  ): true | Promise<never> {
    const result = this.threat.inspectFor(
      { method: raw.method ?? 'GET', path: raw.url ?? '/', headers: raw.headers, body },
      policy,
    );
    if (result.findings.length === 0) return true;
    const { clientIp, clientKey, id } = getRequestState(req).context;
    return this.threat.enforce(result, { clientIp, clientKey, headers: raw.headers, requestId: id, route, mode });
  }
}
