/** Injection token of the resolved validation options. */
export const RAMPART_VALIDATION_OPTIONS = Symbol('RAMPART_VALIDATION_OPTIONS');

/** Metadata key of `@RequestLimits()`. */
export const REQUEST_LIMITS_METADATA = Symbol('rampart.requestLimits');
