import { Controller, HttpCode, Post } from '@nestjs/common';
import { Roles } from '@rampart/auth';
import type { DeliveryResult } from '@rampart/webhooks';
import { WebhookSender } from './webhook-sender.service';

/** Outgoing webhooks: an admin can send a test event to the configured subscriber. */
@Controller('webhooks/outgoing')
@Roles('admin')
export class WebhookSenderController {
  constructor(private readonly sender: WebhookSender) {}

  /** Delivers a `webhook.ping` event, retrying a failing subscriber, and reports each attempt. */
  @Post('ping')
  @HttpCode(200)
  ping(): Promise<DeliveryResult> {
    return this.sender.send('webhook.ping', { message: 'Hello from the Rampart sample API' });
  }
}
