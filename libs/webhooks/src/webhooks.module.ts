import { Inject, Module, type OnModuleInit } from '@nestjs/common';
import { DiscoveryModule, DiscoveryService, MetadataScanner } from '@nestjs/core';
import { InvalidOptionsError } from '@rampart/core';
import { WebhookReleaseInterceptor } from './webhook-release.interceptor';
import { WebhookVerifier } from './webhook-verifier';
import { WebhookSignatureGuard } from './webhook.guard';
import { WEBHOOK_ENDPOINT, WEBHOOKS_OPTIONS } from './webhooks.constants';
import { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN } from './webhooks.module-definition';
import { resolveWebhooksOptions, type ResolvedWebhooksOptions, type WebhooksModuleOptions } from './webhooks.options';

/**
 * Verified webhooks in: `@WebhookEndpoint(name)` checks Standard Webhooks, Stripe and GitHub
 * signatures (or a strategy of your own) over the raw body, with timestamp tolerance, key
 * rotation, a body cap and replay defence in core's Store. Import it where the receiving
 * controllers are (or with `isGlobal: true`), after `RampartCoreModule`.
 * @publicApi
 * @example
 * WebhooksModule.forRoot({
 *   endpoints: {
 *     billing: { scheme: 'standard-webhooks', secrets: [process.env.BILLING_WEBHOOK_SECRET] },
 *     stripe: { scheme: 'stripe', secrets: [process.env.STRIPE_WEBHOOK_SECRET] },
 *   },
 * })
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    {
      provide: WEBHOOKS_OPTIONS,
      inject: [MODULE_OPTIONS_TOKEN],
      useFactory: (raw: WebhooksModuleOptions) => resolveWebhooksOptions(raw),
    },
    WebhookVerifier,
    WebhookSignatureGuard,
    WebhookReleaseInterceptor,
  ],
  exports: [WEBHOOKS_OPTIONS, WebhookVerifier, WebhookSignatureGuard, WebhookReleaseInterceptor],
})
export class WebhooksModule extends ConfigurableModuleClass implements OnModuleInit {
  constructor(
    @Inject(WEBHOOKS_OPTIONS) private readonly options: ResolvedWebhooksOptions,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
  ) {
    super();
  }

  /** A route naming an endpoint that is not configured stops the app at bootstrap, not at the first webhook. */
  onModuleInit(): void {
    for (const { metatype } of this.discovery.getControllers()) {
      if (typeof metatype !== 'function') continue;
      const targets: object[] = [metatype];
      const prototype = metatype.prototype as object;
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        targets.push((prototype as Record<string, object>)[method] as object);
      }
      for (const target of targets) {
        const name = Reflect.getMetadata(WEBHOOK_ENDPOINT, target) as string | undefined;
        if (name !== undefined && !this.options.endpoints.has(name)) {
          throw new InvalidOptionsError(
            'WEBHOOKS_INVALID_OPTIONS',
            `@WebhookEndpoint('${name}') on ${metatype.name} names no configured endpoint (configured: ${[...this.options.endpoints.keys()].join(', ')}).`,
          );
        }
      }
    }
  }
}
