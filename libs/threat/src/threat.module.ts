import { Module } from '@nestjs/common';
import { APP_GUARD, HttpAdapterHost } from '@nestjs/core';
import { THREAT_OPTIONS } from './threat.constants';
import { ThreatGuard } from './threat.guard';
import { registerThreatService } from './threat.middleware';
import { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN } from './threat.module-definition';
import { resolveThreatOptions, type ThreatModuleOptions } from './threat.options';
import { ThreatService } from './threat.service';

/**
 * Threat detection: input inspection on every route (a global guard), behaviour signals and bans
 * in the core store (with `useThreatDetection(app)`), and {@link ThreatService} for other libs.
 * Needs `RampartCoreModule` (store, events) and `ErrorsModule` (403 problem documents). Import it
 * before the auth module: global guards run in the order their modules are imported.
 * @publicApi
 * @example
 * ThreatModule.forRoot({ mode: 'ban', trustedClients: ['10.0.0.0/8'] })
 */
@Module({
  providers: [
    {
      provide: THREAT_OPTIONS,
      inject: [MODULE_OPTIONS_TOKEN],
      useFactory: (raw: ThreatModuleOptions) => resolveThreatOptions(raw),
    },
    ThreatService,
    {
      // Lets useThreatDetection(app) find this application's service without app.get().
      provide: Symbol('THREAT_SERVICE_REGISTRATION'),
      inject: [ThreatService, HttpAdapterHost],
      useFactory: (service: ThreatService, host: HttpAdapterHost) => {
        registerThreatService(host, service);
        return true;
      },
    },
    { provide: APP_GUARD, useClass: ThreatGuard },
  ],
  exports: [ThreatService, THREAT_OPTIONS],
})
export class ThreatModule extends ConfigurableModuleClass {}
