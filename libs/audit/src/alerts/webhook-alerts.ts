import { Logger } from '@nestjs/common';
import type { AlertHandler, AlertNotice } from './alert-rule';

/**
 * What {@link webhookAlerts} needs of `@rampart/webhooks`' `WebhookDelivery` (signed, retried,
 * SSRF-safe). Typed by shape so the audit package does not depend on the webhooks package.
 * @publicApi
 */
export interface AlertDelivery {
  deliver(message: { url: string; payload: object }): Promise<{ id: string; delivered: boolean }>;
}

/** Options of {@link webhookAlerts}. @publicApi */
export interface WebhookAlertsOptions {
  /** A `WebhookDelivery` from `@rampart/webhooks`. */
  delivery: AlertDelivery;
  /** Where notices are posted (e.g. an incident tool's webhook). */
  url: string;
  /** Deliveries in flight (retries included) before further notices are dropped and logged. @default 100 */
  maxPending?: number;
}

/**
 * A handler that posts each notice as a signed webhook `{ type: 'rampart.alert.firing' |
 * 'rampart.alert.resolved', timestamp, data: notice }`. It does not wait for the delivery: its
 * retries and backoff must not hold back the other handlers or the next alert check, and a bounded
 * number in flight keeps an unreachable receiver from growing memory during an alert storm.
 * @publicApi
 * @example
 * const delivery = new WebhookDelivery({
 *   client: new OutboundClient({ allowedHosts: [{ host: 'hooks.pagerduty.example' }] }),
 *   signer: new StandardWebhookSigner([process.env.ALERT_WEBHOOK_SECRET!]),
 * });
 * alerts: { rules, handlers: [logAlerts(), webhookAlerts({ delivery, url: 'https://hooks.pagerduty.example/rampart' })] }
 */
export function webhookAlerts(options: WebhookAlertsOptions): AlertHandler {
  const logger = new Logger('RampartAlerts');
  const maxPending = options.maxPending ?? 100;
  let pending = 0;
  return (notice: AlertNotice) => {
    const what = `${notice.rule} (${notice.status}, ${notice.group})`;
    if (pending >= maxPending) {
      logger.error(`Alert webhook not sent, ${maxPending} deliveries already in flight: ${what}`);
      return;
    }
    pending++;
    const payload = { type: `rampart.alert.${notice.status}`, timestamp: notice.time, data: notice };
    options.delivery
      .deliver({ url: options.url, payload })
      .then((result) => {
        if (!result.delivered) logger.error(`Alert webhook ${result.id} given up: ${what}`);
      })
      .catch((error: unknown) => logger.error(`Alert webhook failed: ${what}: ${(error as Error).message}`))
      .finally(() => pending--);
  };
}
