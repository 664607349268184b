import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { rawRequest } from '@rampart/core';

const SIGNAL = Symbol('rampart.abortSignal');
type WithSignal = object & { [SIGNAL]?: AbortSignal };

export function setRequestSignal(req: object, signal: AbortSignal): void {
  (rawRequest(req) as WithSignal)[SIGNAL] = signal;
}

/**
 * The AbortSignal of a request: it fires when the route's timeout passes or the client goes
 * away. Pass it to `fetch`, database drivers and `setTimeout` from `node:timers/promises` so the
 * work stops when nobody waits for its result any more.
 * @publicApi
 * @example
 * const signal = getRequestSignal(req);
 */
export function getRequestSignal(req: object): AbortSignal {
  // Without the interceptor there is no deadline: a signal that never fires.
  return (rawRequest(req) as WithSignal)[SIGNAL] ?? new AbortController().signal;
}

/**
 * Parameter decorator for {@link getRequestSignal}.
 * @publicApi
 * @example
 * @Get('report')
 * report(@RequestSignal() signal: AbortSignal) { return this.reports.build({ signal }); }
 */
export const RequestSignal = createParamDecorator((_data: unknown, context: ExecutionContext) =>
  getRequestSignal(context.switchToHttp().getRequest<object>()),
);
