export { OutboundModule } from './outbound.module';
export { OUTBOUND_OPTIONS } from './outbound.constants';
export { OutboundClient } from './outbound.client';
export type { OutboundJsonRequest, OutboundMethod, OutboundRequest, OutboundResponse } from './outbound.client';
export { OutboundClients } from './outbound-clients';
export { OutboundSecrets } from './outbound-secrets';
export type { OutboundSecret } from './outbound-secrets';
export type {
  OutboundClientOptions,
  OutboundHostRule,
  OutboundModuleOptions,
  OutboundResolver,
  OutboundSecretSpec,
  ResolvedAddress,
} from './outbound.options';
export type { ResponseSchema, StandardSchemaV1 } from './response-schema';
export {
  OutboundError,
  OutboundAddressDeniedError,
  OutboundCertificatePinError,
  OutboundConnectionError,
  OutboundHostNotAllowedError,
  OutboundInvalidUrlError,
  OutboundResponseInvalidError,
  OutboundResponseTooLargeError,
  OutboundSchemeNotAllowedError,
  OutboundTimeoutError,
  OutboundTooManyRedirectsError,
  OutboundUpstreamStatusError,
} from './outbound.errors';
export type { OutboundErrorCode, OutboundTimeoutPhase } from './outbound.errors';
