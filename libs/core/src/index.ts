export { RampartCoreModule, useRequestContext } from './core.module';
export type { RampartCoreOptions, ResolvedCoreOptions } from './core.options';
export { RAMPART_CORE_OPTIONS, RAMPART_STORE } from './core.constants';
export { InjectStore } from './store/inject-store.decorator';
export { InvalidOptionsError } from './invalid-options.error';
export { MalformedRequestError } from './malformed-request.error';
export type { RampartSetupCode } from './invalid-options.error';
export { MissingPeerDependencyError, loadOptionalPeer } from './optional-peer';
export { TrustedProxies, normalizeIp, resolveClientIp, clientKey, DEFAULT_CLIENT_PREFIXES } from './client-identity';
export { isNonPublicIp, embeddedIpv4 } from './network';
export { constantTimeEqual } from './constant-time';
export { markFieldKind, fieldKindsOf } from './field-kinds';
export type { FieldKind } from './field-kinds';
export type { ProxyHeader, ClientPrefixes } from './client-identity';
export { getRequestContext, getRequestState, routeOf, REQUEST_ID_HEADER } from './request-context';
export type { RequestContext, RequestDeadline, RequestState, Identified } from './request-context';
export { useRawMiddleware, installedSlots, rawRequest, rawResponse } from './raw-middleware';
export { setBaselineHeaders, baselineHeadersOf } from './baseline-headers';
export { GUARD_PHASES, MIDDLEWARE_SLOTS } from './pipeline/phases';
export type { GuardPhase, MiddlewareSlot } from './pipeline/phases';
export { RampartPipeline, RampartPart, pipelineOf } from './pipeline/rampart-pipeline';
export type { PipelineStep } from './pipeline/rampart-pipeline';
export { PipelineGuard } from './pipeline/pipeline.guard';
export { PerRoute, httpArgument } from './pipeline/route-context';
export type { RouteTarget } from './pipeline/route-context';
export { RampartPipelineModule, CORE_PART, ERRORS_PART, provideGuardPhase } from './pipeline/rampart-pipeline.module';
export type { RawMiddleware } from './raw-middleware';
export { SecurityEvents, SECURITY_EVENT_TYPES, defaultOutcome, principalOf, subjectOf } from './security-events';
export type {
  EventLogging,
  SecurityEvent,
  SecurityEventInput,
  SecurityEventListener,
  SecurityEventType,
  SecurityOutcome,
  SecurityPrincipal,
  SecuritySeverity,
} from './security-events';
export { createRedactor, redact, REDACTED } from './redaction';
export type { RedactionOptions, Redactor } from './redaction';
export { defineStoreScript } from './store/store';
export { ReplayCache } from './store/replay-cache';
export type {
  Store,
  StoreScript,
  LocalScriptContext,
  StoreSetOptions,
  StoreIncrementOptions,
  StoreListener,
} from './store/store';
export { StoreUnavailableError, STORE_RETRY_AFTER_SECONDS } from './store/store-unavailable.error';
export { StoreLiveness, StoreDeadlineExceededError } from './store/store-liveness';
export { MemoryStore } from './store/memory.store';
export { declareSecurityState } from './store/security-state';
export type { SecurityStateKeys } from './store/security-state';
export type { MemoryStoreOptions } from './store/memory.store';
export { RedisStore, failFastRedisOptions, createRedisClient } from './store/redis.store';
export type { RedisStoreOptions } from './store/redis.store';
