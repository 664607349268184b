import { Inject, Logger, Module, Optional, type OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import {
  installedSlots,
  InvalidOptionsError,
  RAMPART_CORE_OPTIONS,
  RampartPipeline,
  RampartPipelineModule,
} from '@rampart/core';
import { THREAT_OPTIONS } from './threat.constants';
import { ThreatGuard } from './threat.guard';
import { THREAT_PART } from './threat.middleware';
import { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN } from './threat.module-definition';
import { resolveThreatOptions, type ThreatModuleOptions } from './threat.options';
import { ThreatService } from './threat.service';

/**
 * Threat detection: input inspection on every route (the `threat` phase of Rampart's pipeline,
 * first of all guard phases whatever the import order), behaviour signals and bans in the core
 * store (with `useThreatDetection(app)` or `useRampart(app)`), and {@link ThreatService} for other
 * libs. Needs `RampartCoreModule` (store, events) and `ErrorsModule` (403 problem documents).
 * @publicApi
 * @example
 * ThreatModule.forRoot({ mode: 'ban', trustedClients: ['10.0.0.0/8'] })
 */
@Module({
  imports: [RampartPipelineModule],
  providers: [
    {
      provide: THREAT_OPTIONS,
      inject: [MODULE_OPTIONS_TOKEN],
      useFactory: (raw: ThreatModuleOptions) => resolveThreatOptions(raw),
    },
    ThreatService,
    ThreatGuard,
    {
      // Contributes the `threat` phase, and the service useThreatDetection(app) needs.
      provide: Symbol('THREAT_PIPELINE_STEP'),
      inject: [RampartPipeline, ThreatGuard, ThreatService],
      useFactory: (pipeline: RampartPipeline, guard: ThreatGuard, service: ThreatService) => {
        pipeline.install(THREAT_PART, service);
        pipeline.register({ phase: 'threat', owner: 'ThreatModule', canActivate: (c) => guard.canActivate(c) });
        return true;
      },
    },
  ],
  exports: [ThreatService, THREAT_OPTIONS],
})
export class ThreatModule extends ConfigurableModuleClass implements OnApplicationBootstrap {
  constructor(
    @Inject(HttpAdapterHost) private readonly host: HttpAdapterHost,
    @Optional() @Inject(RAMPART_CORE_OPTIONS) core?: unknown,
  ) {
    super();
    if (core === undefined) {
      throw new InvalidOptionsError(
        'RAMPART_CORE_MISSING',
        "ThreatModule needs RampartCoreModule.forRoot() (or RampartModule.forRoot()) among the imports of the application module: it keeps bans and behaviour counters in core's Store.",
      );
    }
  }

  onApplicationBootstrap(): void {
    const adapter = this.host.httpAdapter as HttpAdapterHost['httpAdapter'] | undefined;
    if (adapter && !installedSlots({ getHttpAdapter: () => adapter }).has('threat')) {
      new Logger('ThreatModule').warn(
        'useThreatDetection(app) was not called (nor useRampart(app)): bans and behaviour signals are not enforced.',
      );
    }
  }
}
