/**
 * A request core refuses before any other part of Rampart reads it (core cannot depend on
 * `@rampart/errors`, which renders it): answered as a 400 problem with this message, which never
 * quotes the request.
 * @publicApi
 */
export class MalformedRequestError extends Error {
  readonly status = 400;

  constructor(
    message: string,
    /** The security event's `reason`. */
    readonly reason: string,
  ) {
    super(message);
    this.name = 'MalformedRequestError';
  }
}
