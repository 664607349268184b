import { Controller, Get, Headers, Inject, Query, Res } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import {
  AlertRules,
  AuditModule,
  AuditService,
  logAlerts,
  parseAuditQuery,
  type AuditPage,
  type AlertHandler,
  type AuditModuleOptions,
} from '@rampart/audit';
import { Public, Roles } from '@rampart/auth';
import { NotFoundError, UnauthorizedError } from '@rampart/errors';
import type { DynamicModule } from '@nestjs/common';
import { redisConnection, type AppConfig } from '../app.config';
import { WebhookSender } from '../webhooks/webhook-sender.service';

/** The audit trail: the shared history on Redis (this instance's ring buffer without it), metrics, two alert rules (logged, and posted to the webhook subscriber when one is set). */
export function sampleAuditModule(config: AppConfig): DynamicModule {
  return AuditModule.forRootAsync({
    inject: [WebhookSender],
    useFactory: (sender: WebhookSender) => auditOptions(config, sender.alertHandler()),
  });
}

function auditOptions(config: AppConfig, webhook: AlertHandler | undefined): AuditModuleOptions {
  const { audit } = config;
  const redis = redisConnection(config);
  return {
    redis: redis ? { ...redis, stream: audit.stream, maxLength: audit.streamMaxLength } : false,
    keyPrefix: audit.keyPrefix,
    ...(audit.instance === undefined ? {} : { instance: audit.instance }),
    ...(audit.metricsToken === undefined ? {} : { metrics: { token: audit.metricsToken } }),
    alerts: {
      rules: [AlertRules.credentialStuffing(audit.failedLogins), AlertRules.permissionProbing(audit.deniedAccess)],
      handlers: [logAlerts(), ...[webhook, audit.onAlert].filter((handler) => handler !== undefined)],
      checkIntervalMs: audit.alertCheckIntervalMs,
    },
  };
}

/** The security event history, for administrators only (it names clients, accounts and routes). */
@Controller('admin/audit')
@Roles('admin')
export class AuditAdminController {
  constructor(private readonly audit: AuditService) {}

  /** `?type=&subject=&clientIp=&since=&until=&limit=&cursor=`, newest first. */
  @Get('events')
  events(@Query() query: Record<string, unknown>): Promise<AuditPage> {
    return this.audit.query(parseAuditQuery(query));
  }
}

/**
 * Prometheus metrics, behind their own bearer credential (`METRICS_TOKEN`), not a user's token:
 * a scraper is no user, and metrics reveal traffic and attacks in progress. Absent credential: 404.
 */
@Controller('metrics')
@Public()
export class MetricsController {
  constructor(
    private readonly audit: AuditService,
    @Inject(HttpAdapterHost) private readonly host: HttpAdapterHost,
  ) {}

  @Get()
  async scrape(@Headers('authorization') authorization: string | undefined, @Res() res: object): Promise<void> {
    const result = await this.audit.metrics?.scrape(authorization);
    if (!result || result.status === 404) throw new NotFoundError('No route matches this method and path.');
    if (result.status === 401) {
      throw new UnauthorizedError('Send the metrics credential as a bearer token.', {
        reason: 'metrics_credential',
        headers: { ...result.headers },
      });
    }
    const adapter = this.host.httpAdapter;
    adapter.setHeader(res, 'Content-Type', result.contentType);
    adapter.setHeader(res, 'Cache-Control', 'no-store');
    adapter.reply(res, result.body, 200);
  }
}
