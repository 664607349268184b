export { inspectRequest } from './inspection/inspect';
export type { InspectableRequest, InspectOptions, InspectionResult, Finding } from './inspection/inspect';
export type { ThreatCategory, FindingSeverity } from './inspection/types';
