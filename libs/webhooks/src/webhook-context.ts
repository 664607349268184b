import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { VerifiedWebhook } from './verify/webhook-strategy';

/** What the guard learnt about a verified webhook. @publicApi */
export interface WebhookContext extends VerifiedWebhook {
  /** The endpoint name, as in `@WebhookEndpoint(name)`. */
  readonly endpoint: string;
  /** The body exactly as signed. */
  readonly rawBody: Buffer;
}

const CONTEXT = Symbol('rampart.webhook');
const REPLAY_KEY = Symbol('rampart.webhook.replayKey');
type WithWebhook = { [CONTEXT]?: WebhookContext; [REPLAY_KEY]?: string };

export function setWebhookContext(req: object, context: WebhookContext, replayStoreKey: string | undefined): void {
  (req as WithWebhook)[CONTEXT] = Object.freeze(context);
  if (replayStoreKey !== undefined) (req as WithWebhook)[REPLAY_KEY] = replayStoreKey;
}

/** The verified webhook of a request, if `@WebhookEndpoint()` let it through. @publicApi */
export function getWebhookContext(req: object): WebhookContext | undefined {
  return (req as WithWebhook)[CONTEXT];
}

export function replayStoreKeyOf(req: object): string | undefined {
  return (req as WithWebhook)[REPLAY_KEY];
}

/**
 * Injects the {@link WebhookContext} of a route guarded by `@WebhookEndpoint()`: message id,
 * signed timestamp, endpoint and raw body.
 * @publicApi
 * @example
 * @Post('billing') @WebhookEndpoint('billing')
 * receive(@Body() event: BillingEvent, @Webhook() webhook: WebhookContext) { return this.events.once(webhook.id, event); }
 */
export const Webhook = createParamDecorator((_data: unknown, context: ExecutionContext): WebhookContext | undefined =>
  getWebhookContext(context.switchToHttp().getRequest<object>()),
);
