/**
 * Thrown at bootstrap when a Rampart module is configured wrongly, so a mistake stops the
 * application before it serves a request instead of weakening a defence at run time.
 * @publicApi
 */
export class InvalidOptionsError extends Error {
  constructor(
    /** e.g. `CORE_INVALID_OPTIONS`, `RATE_LIMIT_INVALID_OPTIONS`. */
    readonly code: `${string}_INVALID_OPTIONS`,
    message: string,
  ) {
    super(message);
    this.name = 'InvalidOptionsError';
  }
}
