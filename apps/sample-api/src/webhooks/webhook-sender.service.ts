import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { webhookAlerts, type AlertHandler } from '@rampart/audit';
import { ServiceUnavailableError } from '@rampart/errors';
import { OutboundClient } from '@rampart/outbound';
import { StandardWebhookSigner, WebhookDelivery, type DeadLetter, type DeliveryResult } from '@rampart/webhooks';
import { APP_CONFIG, type AppConfig } from '../app.config';

const DEAD_LETTERS_KEPT = 100;

/**
 * Sends the sample's outgoing webhooks to the configured subscriber: Standard Webhooks signed,
 * through `@rampart/outbound` (its one host allowed, plain http only outside production), retried
 * with backoff; given-up messages are kept (the last 100) for an operator to replay.
 */
@Injectable()
export class WebhookSender implements OnApplicationShutdown {
  readonly deadLetters: DeadLetter[] = [];
  private readonly client: OutboundClient | undefined;
  private readonly delivery: WebhookDelivery | undefined;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    const { subscriberUrl, signingSecret, testOnly } = config.webhooks;
    if (!subscriberUrl) return;
    const url = new URL(subscriberUrl);
    this.client = new OutboundClient(
      {
        allowedHosts: [{ host: url.hostname, allowHttp: url.protocol === 'http:' && !config.production }],
        totalTimeoutMs: 5000,
        maxRedirects: 0,
        ...testOnly,
      },
      'webhook-subscriber',
    );
    this.delivery = new WebhookDelivery({
      client: this.client,
      signer: new StandardWebhookSigner([signingSecret]),
      maxAttempts: 3,
      baseDelayMs: 200,
      maxDelayMs: 5000,
      onDeadLetter: (letter) => {
        this.deadLetters.push(letter);
        if (this.deadLetters.length > DEAD_LETTERS_KEPT) this.deadLetters.shift();
      },
    });
  }

  /** Delivers one event `{ type, timestamp, data }` and reports every attempt. */
  send(type: string, data: Record<string, unknown>): Promise<DeliveryResult> {
    const { subscriberUrl } = this.config.webhooks;
    if (!this.delivery || !subscriberUrl) {
      throw new ServiceUnavailableError('Outgoing webhooks are not configured (set WEBHOOK_SUBSCRIBER_URL).');
    }
    return this.delivery.deliver({ url: subscriberUrl, payload: { type, timestamp: new Date().toISOString(), data } });
  }

  /** Security alerts go to the same subscriber, as `rampart.alert.firing` / `rampart.alert.resolved` events. */
  alertHandler(): AlertHandler | undefined {
    const { subscriberUrl } = this.config.webhooks;
    return this.delivery && subscriberUrl ? webhookAlerts({ delivery: this.delivery, url: subscriberUrl }) : undefined;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client?.close();
  }
}
