import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { getRequestState, rawRequest, routeOf } from '@rampart/core';
import { PayloadTooLargeError, ThreatDetectedError } from '@rampart/errors';
import { THREAT_POLICY } from './threat.constants';
import type { ThreatPolicyOptions } from './threat-policy.decorator';
import { ThreatService } from './threat.service';
import type { InspectionResult } from './inspection/inspect';
import type { ThreatMode } from './threat.options';

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
    const policy = this.reflector.getAllAndOverride<ThreatPolicyOptions | undefined>(THREAT_POLICY, [
      context.getHandler(),
      context.getClass(),
    ]);
    const mode = policy?.mode ?? this.threat.options.mode;
    if (mode === 'off') return true;
    const result = this.threat.inspect(
      { method: raw.method ?? 'GET', path: raw.url ?? '/', headers: raw.headers, body: req.body },
      policy?.ignore,
    );
    if (result.findings.length === 0) return true;
    const { clientIp, id } = state.context;
    if (!result.threat || mode === 'monitor') {
      this.threat.reportAllowed(result, { clientIp, requestId: id, route, mode });
      return true;
    }
    if (result.findings.every((f) => f.category === 'inspection_limit' || f.score === 0)) {
      // Too large to inspect is not proof of an attack: refused (nothing hides past the bounds), never banned.
      this.threat.reportLimitRefused(result, { clientIp, requestId: id, route, mode });
      throw new PayloadTooLargeError(
        'The request has more fields or deeper nesting than this API inspects: send fewer or flatter values.',
        { reason: 'inspection_limit' },
      );
    }
    if (mode !== 'ban') throw this.refusal(result, mode, false);
    // Only a ban waits for the store; every other outcome is decided synchronously.
    return this.threat
      .ban(clientIp, { reasons: [...new Set(result.findings.map((f) => f.category))] })
      .catch((error: unknown) => {
        this.threat.storeFailed(error);
        return false;
      })
      .then((banned) => {
        throw this.refusal(result, mode, banned);
      });
  }

  private refusal(result: InspectionResult, mode: ThreatMode, banned: boolean): ThreatDetectedError {
    return new ThreatDetectedError(undefined, {
      reason: 'malicious_input',
      eventDetails: {
        decision: banned ? 'blocked_and_banned' : 'blocked',
        mode,
        score: result.score,
        threshold: this.threat.options.threshold,
        findings: result.findings.slice(0, 10),
      },
    });
  }
}
