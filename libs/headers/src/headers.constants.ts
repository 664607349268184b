/** Metadata key of per-route header overrides. */
export const SECURITY_HEADERS_METADATA = Symbol('rampart:security-headers');
