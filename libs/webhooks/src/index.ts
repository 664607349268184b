export { WebhooksModule } from './webhooks.module';
export { WebhookEndpoint } from './webhook.decorator';
export { Webhook, getWebhookContext } from './webhook-context';
export type { WebhookContext } from './webhook-context';
export { WebhookSignatureGuard } from './webhook.guard';
export { WebhookVerifier } from './webhook-verifier';
export type { WebhookVerification } from './webhook-verifier';
export { WEBHOOKS_OPTIONS, WEBHOOK_ENDPOINT } from './webhooks.constants';
export type {
  ResolvedWebhookEndpoint,
  ResolvedWebhooksOptions,
  WebhookEndpointOptions,
  WebhookSchemeOptions,
  WebhooksModuleOptions,
} from './webhooks.options';
export { WebhookVerificationError } from './verify/webhook-strategy';
export type {
  VerifiedWebhook,
  WebhookRejectionReason,
  WebhookRequest,
  WebhookStrategy,
} from './verify/webhook-strategy';
export { StandardWebhooksStrategy } from './verify/standard-webhooks.strategy';
export type { StandardWebhooksKeys } from './verify/standard-webhooks.strategy';
export { StripeStrategy } from './verify/stripe.strategy';
export { GitHubStrategy } from './verify/github.strategy';
export { StandardWebhookSigner, newWebhookMessageId, generateWebhookSecret } from './send/standard-webhook.signer';
export type { StandardWebhookHeaders, WebhookMessageToSign } from './send/standard-webhook.signer';
export { WebhookDelivery } from './send/webhook-delivery';
export type {
  DeadLetter,
  DeliveryAttempt,
  DeliveryResult,
  WebhookDeliveryOptions,
  WebhookMessage,
} from './send/webhook-delivery';
