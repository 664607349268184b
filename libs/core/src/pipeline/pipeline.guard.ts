import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { getRequestState, routeOf } from '../request-context';
import { httpArgument } from './route-context';
import { RampartPipeline, type PipelineStep } from './rampart-pipeline';

type Outcome = boolean | Promise<boolean>;

function isUnauthorized(error: unknown): boolean {
  const e = error as { status?: unknown; getStatus?: () => unknown } | null;
  return typeof e === 'object' && e !== null && (e.status === 401 || e.getStatus?.() === 401);
}

/**
 * The one global guard of Rampart: runs the {@link RampartPipeline}'s steps in phase order
 * (threat → pre-authentication limits → authenticate → authorize → post-authentication limits),
 * so the order of the modules' imports cannot change what a request goes through. Steps that
 * answer synchronously are run without a promise hop.
 * @publicApi
 */
@Injectable()
export class PipelineGuard implements CanActivate {
  constructor(private readonly pipeline: RampartPipeline) {}

  canActivate(context: ExecutionContext): Outcome {
    const steps = this.pipeline.steps;
    if (steps.length === 0) return true;
    if (context.getType() === 'http') {
      const req = httpArgument(context, 'request');
      getRequestState(req).route ??= routeOf(req);
    }
    return this.run(steps, 0, context);
  }

  private run(steps: readonly PipelineStep[], from: number, context: ExecutionContext): Outcome {
    for (let i = from; i < steps.length; i++) {
      const step = steps[i] as PipelineStep;
      let outcome: Outcome;
      try {
        outcome = step.canActivate(context);
      } catch (error) {
        return this.refused(steps, step, i, context, error);
      }
      if (outcome === false) return false;
      if (outcome !== true) {
        return outcome.then(
          (admitted) => admitted && this.run(steps, i + 1, context),
          (error: unknown) => this.refused(steps, step, i, context, error),
        );
      }
    }
    return true;
  }

  /**
   * A refusal of the `authenticate` phase still passes through the later steps that limit
   * anonymous callers: a flood of bad credentials is limited (429) like any other anonymous
   * traffic, instead of answering 401 forever.
   */
  private refused(
    steps: readonly PipelineStep[],
    step: PipelineStep,
    at: number,
    context: ExecutionContext,
    error: unknown,
  ): never | Promise<never> {
    if (step.phase !== 'authenticate' || !isUnauthorized(error)) throw error;
    const hooks = steps
      .slice(at + 1)
      .flatMap((s) => (s.onAuthenticationFailed ? [s.onAuthenticationFailed.bind(s)] : []));
    if (hooks.length === 0) throw error;
    return (async () => {
      for (const hook of hooks) await hook(context);
      throw error;
    })();
  }
}
