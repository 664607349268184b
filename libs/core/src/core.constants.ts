/** Injection token of the resolved core options. */
export const RAMPART_CORE_OPTIONS = Symbol('RAMPART_CORE_OPTIONS');
/** Injection token of the shared {@link Store}. */
export const RAMPART_STORE = Symbol('RAMPART_STORE');
