import { applyDecorators, SetMetadata, UseGuards, UseInterceptors } from '@nestjs/common';
import { WebhookReleaseInterceptor } from './webhook-release.interceptor';
import { WebhookSignatureGuard } from './webhook.guard';
import { WEBHOOK_ENDPOINT } from './webhooks.constants';

/**
 * Verifies a webhook route (or every route of a controller) against the endpoint configured under
 * `name` in `WebhooksModule.forRoot({ endpoints })`: signature over the raw body, timestamp
 * tolerance, body cap and replay defence. Refusals are problem+json (400, 401, 409, 413) and a
 * `webhook.rejected` security event. Needs the app created with `{ rawBody: true }`. The route
 * must also be public to authentication (e.g. auth's `@Public()`): the signature is its credential.
 * @publicApi
 * @example
 * @Post('stripe')
 * @Public()
 * @WebhookEndpoint('stripe')
 * receive(@Body() event: StripeEvent, @Webhook() webhook: WebhookContext) {}
 */
export function WebhookEndpoint(name: string): ClassDecorator & MethodDecorator {
  return applyDecorators(
    SetMetadata(WEBHOOK_ENDPOINT, name),
    UseGuards(WebhookSignatureGuard),
    UseInterceptors(WebhookReleaseInterceptor),
  );
}
