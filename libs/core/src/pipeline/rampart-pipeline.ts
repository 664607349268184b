import type { ExecutionContext, INestApplication } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { InvalidOptionsError } from '../invalid-options.error';
import { GUARD_PHASES, type GuardPhase } from './phases';

/**
 * One step of the guard pipeline: what a lib contributes to a {@link GuardPhase}.
 * @publicApi
 */
export interface PipelineStep {
  readonly phase: GuardPhase;
  /** The module that contributes it, for messages, e.g. `'RateLimitModule'`. */
  readonly owner: string;
  canActivate(context: ExecutionContext): boolean | Promise<boolean>;
  /**
   * Called instead of `canActivate` when the `authenticate` phase refused the request (401), for
   * steps of the later phases that still apply to an anonymous caller (limits keyed by IP). It may
   * throw a different refusal (429), which then answers instead of the 401.
   */
  onAuthenticationFailed?(context: ExecutionContext): void | Promise<void>;
  /** Phases this step cannot do without, checked at start-up (e.g. per-user limits need `authenticate`). */
  requires?(): readonly GuardPhase[];
}

/**
 * A typed key of what a module makes available to the application-level `use*()` functions
 * (resolved options, a service), e.g. `new RampartPart<ResolvedCoreOptions>('RampartCoreModule')`.
 * @publicApi
 */
export class RampartPart<T> {
  declare private readonly type: T;
  constructor(readonly name: string) {}
}

/**
 * Rampart's parts in one application: the guard steps ordered by phase, and which modules are
 * installed. One per application (a provider of {@link RampartPipelineModule}, which every lib's
 * module imports); {@link pipelineOf} finds it from the application object.
 * @publicApi
 */
export class RampartPipeline {
  private readonly ordered: PipelineStep[] = [];
  private readonly parts = new Map<string, unknown>();

  /** The guard steps, in phase order (registration order within a phase). */
  get steps(): readonly PipelineStep[] {
    return this.ordered;
  }

  /** Adds a step at its phase's place; a module contributing twice to one phase is installed twice. */
  register(step: PipelineStep): void {
    if (this.ordered.some((s) => s.owner === step.owner && s.phase === step.phase)) throw installedTwice(step.owner);
    const rank = GUARD_PHASES.indexOf(step.phase);
    const at = this.ordered.findIndex((s) => GUARD_PHASES.indexOf(s.phase) > rank);
    this.ordered.splice(at < 0 ? this.ordered.length : at, 0, step);
  }

  /** Whether some module contributes to `phase`. */
  has(phase: GuardPhase): boolean {
    return this.ordered.some((s) => s.phase === phase);
  }

  /** Records a module as installed, with what the `use*()` functions need of it. */
  install<T>(part: RampartPart<T>, value: T): void {
    if (this.parts.has(part.name)) throw installedTwice(part.name);
    this.parts.set(part.name, value);
  }

  part<T>(part: RampartPart<T>): T | undefined {
    return this.parts.get(part.name) as T | undefined;
  }

  /** Whether a module is installed, by its part or its name (e.g. `'ThreatModule'`). */
  installed(part: RampartPart<unknown> | string): boolean {
    return this.parts.has(typeof part === 'string' ? part : part.name);
  }
}

function installedTwice(owner: string): InvalidOptionsError {
  return new InvalidOptionsError(
    'RAMPART_INSTALLED_TWICE',
    `${owner} is installed twice in one application: import it once (RampartModule.forRoot() already imports every lib it is given options for).`,
  );
}

/**
 * Pipelines by application, keyed by the HttpAdapterHost every Nest application has: `app.get()`
 * of a token no module provides ends the process (Nest's abortOnError) instead of throwing, so
 * the `use*()` functions find the pipeline without it.
 */
const pipelines = new WeakMap<HttpAdapterHost, RampartPipeline>();

export function registerPipeline(host: HttpAdapterHost, pipeline: RampartPipeline): void {
  pipelines.set(host, pipeline);
}

/**
 * The pipeline of an application, or undefined when no Rampart module is imported.
 * @publicApi
 */
export function pipelineOf(app: Pick<INestApplication, 'get'>): RampartPipeline | undefined {
  return pipelines.get(app.get(HttpAdapterHost));
}
