import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { getRequestState, type RequestDeadline } from '@rampart/core';
import type { ServerResponse } from 'node:http';

/** Starts the route's deadline in core's request state, where {@link getRequestSignal} finds it. */
export function startDeadline(req: object, res: ServerResponse): RequestDeadline {
  const deadline: RequestDeadline = { res, controller: undefined, expired: undefined };
  getRequestState(req).deadline = deadline;
  return deadline;
}

export function expireDeadline(deadline: RequestDeadline, reason: Error): void {
  deadline.expired = reason;
  deadline.controller?.abort(reason);
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
  const deadline = getRequestState(req).deadline;
  // Without the interceptor there is no deadline: a signal that never fires.
  if (!deadline) return new AbortController().signal;
  if (!deadline.controller) {
    const controller = new AbortController();
    deadline.controller = controller;
    if (deadline.expired) controller.abort(deadline.expired);
    deadline.res.once('close', () => {
      if (!deadline.res.writableFinished) controller.abort(new Error('The client closed the connection.'));
    });
  }
  return deadline.controller.signal;
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
