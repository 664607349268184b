import { SetMetadata, type ExecutionContext } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import { THREAT_POLICY } from './threat.constants';
import type { ThreatCategory } from './inspection/types';
import type { ThreatMode } from './threat.options';

/** A route's or controller's threat policy. @publicApi */
export interface ThreatPolicyOptions {
  /** Overrides the module's mode for input inspection here; `off` skips inspection. */
  mode?: ThreatMode | 'off';
  /**
   * Locations that legitimately carry code or markup, never inspected here: `body.codeSnippet`,
   * `query.q`, `body.files.*.content` (`*` matches one segment; a location covers what is under it).
   */
  ignore?: string[];
  /**
   * Categories not reported at a location, the rest still inspected: `{ 'body.bio': ['xss'] }`.
   * Fields of the body DTO declared `@RichText()` or `@ThreatField('code')` get theirs already.
   */
  exempt?: Record<string, ThreatCategory[]>;
}

/**
 * Sets the threat policy of a route or controller (the route's wins).
 * @publicApi
 * @example
 * @ThreatPolicy({ ignore: ['body.codeSnippet'] })
 * @Post('snippets')
 * create(@Body() dto: SnippetDto) {}
 */
export const ThreatPolicy = (options: ThreatPolicyOptions): MethodDecorator & ClassDecorator =>
  SetMetadata(THREAT_POLICY, Object.freeze({ ...options }));

/** The policy of the route being handled (the handler's over the controller's). */
export function routePolicy(reflector: Reflector, context: ExecutionContext): ThreatPolicyOptions | undefined {
  return reflector.getAllAndOverride<ThreatPolicyOptions | undefined>(THREAT_POLICY, [
    context.getHandler(),
    context.getClass(),
  ]);
}
