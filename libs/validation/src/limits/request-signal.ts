import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { getRequestState, type RequestDeadline } from '@rampart/core';
import type { ServerResponse } from 'node:http';

/**
 * Starts the route's deadline in core's request state, where {@link getRequestSignal} finds it.
 * When `ms` pass before the response has started, the signal fires and `answer` answers the
 * request; what the handler does after that has nobody to go to (the exception filter drops it).
 */
export function startDeadline(req: object, res: ServerResponse, ms: number, answer: (ms: number) => void): void {
  const deadline: RequestDeadline = { res, controller: undefined, expired: undefined };
  getRequestState(req).deadline = deadline;
  const timer = setTimeout(() => {
    // The handler answered in time: the response is on its way (or streaming), not late.
    if (res.headersSent) return;
    deadline.expired = new Error(`The route timed out after ${ms} ms.`);
    deadline.controller?.abort(deadline.expired);
    answer(ms);
  }, ms);
  // Every response ends with 'close' (sent, failed or abandoned): the timer goes with it.
  res.once('close', () => {
    clearTimeout(timer);
  });
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
  // Without ValidationModule's routeLimits phase there is no deadline: a signal that never fires.
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
