export { install } from './install/install.factory';
export type { InstallOptions } from './install/install.options';
export { resource } from './resource/resource.factory';
export type { ResourceOptions } from './resource/resource.factory';
export { apiKeyClient } from './api-key-client/api-key-client.factory';
export type { ApiKeyClientOptions } from './api-key-client/api-key-client.factory';
export { webhookReceiver } from './webhook-receiver/webhook-receiver.factory';
export type { WebhookReceiverOptions } from './webhook-receiver/webhook-receiver.factory';
export type { GenerateOptions } from './utils/generation';
