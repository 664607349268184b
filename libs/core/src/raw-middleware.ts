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

/** The middlewares of each application, run as one chain: one platform hook however many there are. */
const chains = new WeakMap<object, RawMiddleware[]>();

/**
 * Installs `middleware` in front of everything the platform does for a request — body parsing,
 * routing, the 404 handler — on Express and on Fastify alike. Call it before `app.init()` /
 * `app.listen()`. Rampart's middlewares run in the order they were installed, as one unit at the
 * place of the first call: one Express layer or Fastify hook instead of one per middleware.
 */
export function useRawMiddleware(app: INestApplication, middleware: RawMiddleware): void {
  const adapter = app.getHttpAdapter();
  const instance = adapter.getInstance() as object;
  const existing = chains.get(instance);
  if (existing) {
    existing.push(middleware);
    return;
  }
  const chain = [middleware];
  chains.set(instance, chain);
  if (adapter.getType() === 'fastify') {
    (instance as FastifyLike).addHook('onRequest', (request, reply, done) => {
      runChain(chain, request.raw, reply.raw, (error) => {
        done(error === undefined ? undefined : toError(error));
      });
      // A middleware answered on the raw response and will not call next: Fastify must not reply.
      if (reply.raw.writableEnded) reply.hijack();
    });
  } else {
    (instance as ExpressLike).use((req, res, next) => {
      runChain(chain, req, res, next);
    });
  }
}

function runChain(
  chain: readonly RawMiddleware[],
  req: IncomingMessage,
  res: ServerResponse,
  done: (error?: unknown) => void,
): void {
  let index = 0;
  const next = (error?: unknown): void => {
    const middleware = chain[index++];
    if (error !== undefined || !middleware) done(error);
    else middleware(req, res, next);
  };
  next();
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
