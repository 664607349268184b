/**
 * Codes of a Rampart application assembled wrongly (not a single module's bad option): a module
 * installed twice, a phase that another needs but nobody installed, core or the request context
 * missing. Public API, like the `*_INVALID_OPTIONS` codes.
 * @publicApi
 */
export type RampartSetupCode =
  | 'RAMPART_INSTALLED_TWICE'
  | 'RAMPART_CORE_MISSING'
  | 'RAMPART_AUTHENTICATION_MISSING'
  | 'RAMPART_REQUEST_CONTEXT_MISSING';

/**
 * Thrown at bootstrap when a Rampart module is configured wrongly, so a mistake stops the
 * application before it serves a request instead of weakening a defence at run time.
 * @publicApi
 */
export class InvalidOptionsError extends Error {
  constructor(
    /** e.g. `CORE_INVALID_OPTIONS`, `RATE_LIMIT_INVALID_OPTIONS`, `RAMPART_INSTALLED_TWICE`. */
    readonly code: `${string}_INVALID_OPTIONS` | RampartSetupCode,
    message: string,
  ) {
    super(message);
    this.name = 'InvalidOptionsError';
  }
}
