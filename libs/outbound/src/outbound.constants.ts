/** Injection token of the resolved {@link OutboundModuleOptions}. */
export const OUTBOUND_OPTIONS = Symbol('OUTBOUND_OPTIONS');
