import {
  Inject,
  Logger,
  Module,
  type CanActivate,
  type OnApplicationBootstrap,
  type Provider,
  type Type,
} from '@nestjs/common';
import { APP_GUARD, HttpAdapterHost } from '@nestjs/core';
import { InvalidOptionsError } from '../invalid-options.error';
import { installedSlots } from '../raw-middleware';
import { PipelineGuard } from './pipeline.guard';
import { RampartPart, RampartPipeline, registerPipeline } from './rampart-pipeline';
import type { ResolvedCoreOptions } from '../core.options';
import type { GuardPhase } from './phases';

/** Installed by `RampartCoreModule`, with its resolved options. @publicApi */
export const CORE_PART = new RampartPart<ResolvedCoreOptions>('RampartCoreModule');
/** Installed by `ErrorsModule`. @publicApi */
export const ERRORS_PART = new RampartPart<true>('ErrorsModule');

/**
 * The guard pipeline of an application: one {@link RampartPipeline} and the one global
 * {@link PipelineGuard} that runs it. Every Rampart module that contributes a phase imports this
 * static module; Nest makes it once per application however many import it, so there is one
 * guard whatever the number and order of the imports. At start-up it refuses an application
 * assembled wrongly (a phase required but missing) and warns about a safe but weaker setup.
 * @publicApi
 */
@Module({
  providers: [
    {
      provide: RampartPipeline,
      inject: [HttpAdapterHost],
      useFactory: (host: HttpAdapterHost) => {
        const pipeline = new RampartPipeline();
        registerPipeline(host, pipeline);
        return pipeline;
      },
    },
    { provide: APP_GUARD, useClass: PipelineGuard },
  ],
  exports: [RampartPipeline],
})
export class RampartPipelineModule implements OnApplicationBootstrap {
  private readonly logger = new Logger('Rampart');

  constructor(
    @Inject(RampartPipeline) private readonly pipeline: RampartPipeline,
    @Inject(HttpAdapterHost) private readonly host: HttpAdapterHost,
  ) {}

  onApplicationBootstrap(): void {
    for (const step of this.pipeline.steps) {
      for (const phase of step.requires?.() ?? []) {
        if (this.pipeline.has(phase)) continue;
        throw new InvalidOptionsError(
          'RAMPART_AUTHENTICATION_MISSING',
          `${step.owner} needs the "${phase}" phase, which no module provides: import AuthModule (or give RampartModule.forRoot() its \`auth\` options), or register your own authenticator with RampartPipeline.register({ phase: '${phase}', ... }). Without it, per-user and per-API-key limits would silently fall back to per-IP limits.`,
        );
      }
    }
    const adapter = this.host.httpAdapter as HttpAdapterHost['httpAdapter'] | undefined;
    // Not an HTTP application (a standalone context, a microservice): no platform chain to check.
    if (!adapter) return;
    if (!this.pipeline.installed(ERRORS_PART)) {
      this.logger.warn(
        'ErrorsModule is not installed: refusals keep their status (401, 403, 429) but Nest answers them without problem+json, challenge or Retry-After headers, and no denial events are emitted. Import ErrorsModule.forRoot() or use RampartModule.forRoot().',
      );
    }
    const core = this.pipeline.part(CORE_PART);
    if (core && !installedSlots({ getHttpAdapter: () => adapter }).has('context')) {
      const message =
        'The request context is not installed: call useRampart(app) (or useRequestContext(app)) before app.init()/listen().';
      // With trusted proxies, every client behind them would share the proxy's IP (one rate-limit
      // bucket, one ban); without, the socket address is what the context would give anyway.
      if (!core.trustedProxies.isEmpty) {
        throw new InvalidOptionsError(
          'RAMPART_REQUEST_CONTEXT_MISSING',
          `${message} Without it the trusted proxies are ignored and every client behind them is one client.`,
        );
      }
      this.logger.warn(`${message} Request ids are not echoed on platform-level answers (404, 413).`);
    }
  }
}

/**
 * Providers that run a guard of your own as a phase of Rampart's pipeline, e.g. an authenticator
 * of your own that sets `request.user` (or `getRequestState(req).user`): per-user limits then run
 * after it whatever the import order. Put them in a module that imports {@link RampartPipelineModule}.
 * @publicApi
 * @example
 * @Module({ imports: [RampartPipelineModule], providers: provideGuardPhase('authenticate', SessionAuthGuard) })
 * class SessionAuthModule {}
 */
export function provideGuardPhase(phase: GuardPhase, guard: Type<CanActivate>, owner = guard.name): Provider[] {
  return [
    guard,
    {
      provide: Symbol(`${owner} ${phase}`),
      inject: [RampartPipeline, guard],
      useFactory: (pipeline: RampartPipeline, instance: CanActivate) => {
        pipeline.register({
          phase,
          owner,
          canActivate: (context) => instance.canActivate(context) as boolean | Promise<boolean>,
        });
        return true;
      },
    },
  ];
}
