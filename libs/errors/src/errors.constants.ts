/** Injection token of the resolved errors options. */
export const RAMPART_ERRORS_OPTIONS = Symbol('RAMPART_ERRORS_OPTIONS');
