import { Module, type DynamicModule } from '@nestjs/common';
import { WebhooksModule } from '@rampart/webhooks';
import type { AppConfig } from '../app.config';
import { WebhookReceiverController } from './webhook-receiver.controller';

/** The sample's webhook receivers: Standard Webhooks and Stripe, secrets from the configuration. */
@Module({})
export class SampleWebhooksModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: SampleWebhooksModule,
      imports: [
        WebhooksModule.forRoot({
          endpoints: {
            standard: { scheme: 'standard-webhooks', secrets: config.webhooks.secrets },
            stripe: { scheme: 'stripe', secrets: config.webhooks.stripeSecrets },
          },
        }),
      ],
      controllers: [WebhookReceiverController],
    };
  }
}
