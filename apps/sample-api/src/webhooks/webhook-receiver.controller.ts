import { Body, Controller, HttpCode, Logger, Post } from '@nestjs/common';
import { Public } from '@rampart/auth';
import { BadRequestError } from '@rampart/errors';
import { Webhook, WebhookEndpoint, type WebhookContext } from '@rampart/webhooks';
import { StandardWebhookEventDto } from './webhook-events.dto';

/**
 * Receives webhooks from third parties. The routes are public to authentication: the signature,
 * checked by `@WebhookEndpoint()` over the raw body before the body is validated, is their
 * credential. A refused webhook never reaches these handlers.
 */
@Controller('webhooks')
@Public()
export class WebhookReceiverController {
  private readonly logger = new Logger('Webhooks');

  /** Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`). */
  @Post('standard')
  @HttpCode(204)
  @WebhookEndpoint('standard')
  standard(@Body() event: StandardWebhookEventDto, @Webhook() webhook: WebhookContext): void {
    this.logger.log(`Received ${event.type} (${webhook.id ?? ''})`);
  }

  /** Stripe (`Stripe-Signature`). Stripe events carry many fields: read the two this handler needs. */
  @Post('stripe')
  @HttpCode(204)
  @WebhookEndpoint('stripe')
  stripe(@Body() event: Record<string, unknown>): void {
    const { id, type } = event;
    if (typeof id !== 'string' || typeof type !== 'string') {
      throw new BadRequestError('A Stripe event has a string id and type.');
    }
    this.logger.log(`Received Stripe ${type} (${id})`);
  }
}
