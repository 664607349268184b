/** Token of the resolved {@link ThreatModuleOptions}. */
export const THREAT_OPTIONS = Symbol('rampart.threat.options');
/** Metadata key of `@ThreatPolicy()`. */
export const THREAT_POLICY = Symbol('rampart.threat.policy');
