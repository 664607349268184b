import type { INestApplication } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * A connect-style middleware on Node's own request and response. It either calls `next` (with an
 * error to answer through the application's exception filter) or ends the response itself.
 */
export type RawMiddleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

interface FastifyLike {
  addHook(
    name: 'onRequest',
    hook: (
      request: { raw: IncomingMessage },
      reply: { raw: ServerResponse; hijack(): void },
      done: (error?: Error) => void,
    ) => void,
  ): unknown;
}

interface ExpressLike {
  use(handler: RawMiddleware): unknown;
}

/**
 * Installs `middleware` in front of everything the platform does for a request — body parsing,
 * routing, the 404 handler — on Express and on Fastify alike. Call it before `app.init()` /
 * `app.listen()`; middlewares run in the order they were installed.
 */
export function useRawMiddleware(app: INestApplication, middleware: RawMiddleware): void {
  const adapter = app.getHttpAdapter();
  if (adapter.getType() === 'fastify') {
    (adapter.getInstance() as FastifyLike).addHook('onRequest', (request, reply, done) => {
      let passed = false as boolean;
      middleware(request.raw, reply.raw, (error) => {
        passed = true;
        done(error === undefined ? undefined : toError(error));
      });
      // The middleware answered on the raw response: tell Fastify not to send a reply of its own.
      if (!passed && reply.raw.writableEnded) reply.hijack();
    });
  } else {
    (adapter.getInstance() as ExpressLike).use(middleware);
  }
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** Node's request behind either platform's request object. */
export function rawRequest(req: object): IncomingMessage {
  return ('raw' in req ? req.raw : req) as IncomingMessage;
}

/** Node's response behind either platform's response object. */
export function rawResponse(res: object): ServerResponse {
  return ('raw' in res ? res.raw : res) as ServerResponse;
}
