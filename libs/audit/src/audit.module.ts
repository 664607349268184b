import { Module } from '@nestjs/common';
import { AUDIT_OPTIONS } from './audit.constants';
import { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN } from './audit.module-definition';
import { resolveAuditOptions, type AuditModuleOptions } from './audit.options';
import { AuditService } from './audit.service';
import { AuditHealthIndicator } from './health/audit-health.indicator';

/**
 * The audit trail on core's security events: metrics (prom-client), a queryable history (ring
 * buffer, Redis stream shared by instances), structured logs, OpenTelemetry span events, and
 * alerts that fire once per incident across instances. Needs `RampartCoreModule`. Global by default.
 * @publicApi
 * @example
 * AuditModule.forRoot({
 *   redis: { url: process.env.REDIS_URL },
 *   metrics: { token: process.env.METRICS_TOKEN },
 *   alerts: { rules: [AlertRules.credentialStuffing()], handlers: [logAlerts()] },
 * })
 */
@Module({
  providers: [
    {
      provide: AUDIT_OPTIONS,
      inject: [MODULE_OPTIONS_TOKEN],
      useFactory: (raw: AuditModuleOptions) => resolveAuditOptions(raw),
    },
    AuditService,
    AuditHealthIndicator,
  ],
  exports: [AUDIT_OPTIONS, AuditService, AuditHealthIndicator],
})
export class AuditModule extends ConfigurableModuleClass {}
