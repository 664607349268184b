/** Injection token of the resolved, frozen {@link ResolvedAuditOptions}. */
export const AUDIT_OPTIONS = Symbol('RAMPART_AUDIT_OPTIONS');
