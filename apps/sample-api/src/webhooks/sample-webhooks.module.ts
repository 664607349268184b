import { Module, type DynamicModule } from '@nestjs/common';
import { WebhooksModule } from '@rampart/webhooks';
import type { AppConfig } from '../app.config';
import { WebhookReceiverController } from './webhook-receiver.controller';
import { WebhookSenderController } from './webhook-sender.controller';
import { WebhookSender } from './webhook-sender.service';

/** The sample's webhooks: receivers (Standard Webhooks, Stripe) and outgoing deliveries (alerts included), secrets from the configuration. */
@Module({})
export class SampleWebhooksModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: SampleWebhooksModule,
      // Global: the audit trail's alert handler posts through the same sender.
      global: true,
      imports: [
        WebhooksModule.forRoot({
          endpoints: {
            standard: { scheme: 'standard-webhooks', secrets: config.webhooks.secrets },
            stripe: { scheme: 'stripe', secrets: config.webhooks.stripeSecrets },
          },
        }),
      ],
      controllers: [WebhookReceiverController, WebhookSenderController],
      providers: [WebhookSender],
      exports: [WebhookSender],
    };
  }
}
