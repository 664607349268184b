import { Module, type DynamicModule } from '@nestjs/common';
import { OutboundModule, type OutboundClientOptions } from '@rampart/outbound';
import type { AppConfig } from '../app.config';
import { IntegrationsController } from './integrations.controller';

/** The partner client: its one host (from `PARTNER_URL`), plain http only outside production. */
function partnerClient(config: AppConfig): Record<string, OutboundClientOptions> {
  if (!config.partner.url) return {};
  const url = new URL(config.partner.url);
  return {
    partner: {
      allowedHosts: [{ host: url.hostname, allowHttp: url.protocol === 'http:' && !config.production }],
      totalTimeoutMs: config.partner.totalTimeoutMs,
      maxResponseBytes: 64 * 1024,
      maxRedirects: 1,
      ...config.partner.testOnly,
    },
  };
}

@Module({})
export class IntegrationsModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: IntegrationsModule,
      imports: [
        OutboundModule.forRoot({
          clients: partnerClient(config),
          // Several comma-separated keys during a rotation; in production a missing or weak one stops the app.
          secrets: config.partner.url ? { partner: { env: 'PARTNER_API_KEYS' } } : {},
          production: config.production,
        }),
      ],
      controllers: [IntegrationsController],
    };
  }
}
