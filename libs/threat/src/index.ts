export { inspectRequest } from './inspection/inspect';
export type { InspectableRequest, InspectOptions, InspectionResult, Finding } from './inspection/inspect';
export type { ThreatCategory, FindingSeverity } from './inspection/types';
export { ThreatModule } from './threat.module';
export { THREAT_OPTIONS } from './threat.constants';
export type {
  ThreatModuleOptions,
  ThreatMode,
  BehaviourOptions,
  RateSignal,
  ErrorRateSignal,
  FailedLoginSignal,
  ResolvedThreatOptions,
} from './threat.options';
export { ThreatService } from './threat.service';
export type { BanEntry, BanRecord, FailedLoginVerdict, BehaviourSignal } from './threat.service';
export { ThreatGuard } from './threat.guard';
export { ThreatMultipartInterceptor } from './threat-multipart.interceptor';
export { ThreatPolicy } from './threat-policy.decorator';
export { ThreatField, FIELD_KIND_EXEMPTIONS } from './field-policy';
export type { RouteInspection } from './threat.service';
export type { ThreatPolicyOptions } from './threat-policy.decorator';
export { useThreatDetection } from './threat.middleware';
