import { Injectable } from '@nestjs/common';
import type { HealthIndicatorResult } from '@nestjs/terminus';
import { AuditService } from '../audit.service';

/**
 * A `@nestjs/terminus` health indicator for core's Store and the audit sinks. It returns terminus's
 * result shape (`down` makes the check fail with 503) without importing terminus at run time, so
 * terminus stays an optional peer.
 * @publicApi
 * @example
 * @Get('health') @HealthCheck() check() { return this.health.check([() => this.audit.isHealthy('audit')]); }
 */
@Injectable()
export class AuditHealthIndicator {
  constructor(private readonly audit: AuditService) {}

  async isHealthy(key = 'audit'): Promise<HealthIndicatorResult> {
    const health = await this.audit.health();
    const sinks = Object.fromEntries(
      health.sinks.map((sink) => [
        sink.name,
        {
          up: sink.up,
          queued: sink.queued,
          dropped: sink.dropped,
          ...(sink.lastError ? { error: sink.lastError } : {}),
        },
      ]),
    );
    return { [key]: { status: health.up ? 'up' : 'down', store: health.store, sinks } };
  }
}
