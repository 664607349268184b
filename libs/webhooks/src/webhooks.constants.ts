/** Injection token of the resolved {@link WebhooksModuleOptions}. */
export const WEBHOOKS_OPTIONS = Symbol('WEBHOOKS_OPTIONS');
/** Metadata: the endpoint name given to `@WebhookEndpoint()`. */
export const WEBHOOK_ENDPOINT = Symbol('rampart:webhooks:endpoint');
