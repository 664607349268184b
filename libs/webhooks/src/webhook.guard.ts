import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { rawRequest } from '@rampart/core';
import { rawBodyOf } from './raw-body';
import { setWebhookContext } from './webhook-context';
import { WebhookVerifier } from './webhook-verifier';
import { WEBHOOK_ENDPOINT } from './webhooks.constants';

/**
 * Lets a request through only with a valid, current, first-seen signature for the endpoint named
 * by `@WebhookEndpoint()`, checked over the raw body bytes. Applied by that decorator.
 * @publicApi
 */
@Injectable()
export class WebhookSignatureGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: WebhookVerifier,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const endpoint = this.reflector.getAllAndOverride<string | undefined>(WEBHOOK_ENDPOINT, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (endpoint === undefined) return true;
    const req = context.switchToHttp().getRequest<object>();
    const { context: webhook, replayStoreKey } = await this.verifier.verify(
      endpoint,
      rawRequest(req).headers,
      rawBodyOf(req),
    );
    setWebhookContext(req, webhook, replayStoreKey);
    return true;
  }
}
