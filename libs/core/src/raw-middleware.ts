import type { INestApplication } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { InvalidOptionsError } from './invalid-options.error';
import { MIDDLEWARE_SLOTS, type MiddlewareSlot } from './pipeline/phases';

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

interface ChainEntry {
  readonly slot: MiddlewareSlot | undefined;
  readonly middleware: RawMiddleware;
}

/** The middlewares of each application, run as one chain: one platform hook however many there are. */
const chains = new WeakMap<object, ChainEntry[]>();

const rank = (slot: MiddlewareSlot | undefined): number =>
  slot === undefined ? MIDDLEWARE_SLOTS.length : MIDDLEWARE_SLOTS.indexOf(slot);

/**
 * Installs `middleware` in front of everything the platform does for a request — body parsing,
 * routing, the 404 handler — on Express and on Fastify alike. Call it before `app.init()` /
 * `app.listen()`. Rampart's middlewares run as one unit (one Express layer or Fastify hook, at the
 * place of the first call), ordered by their {@link MiddlewareSlot}, never by call order; each
 * slot takes one middleware (a second is a `RAMPART_INSTALLED_TWICE` error). Middlewares without
 * a slot run after the slotted ones, in the order they were installed.
 * @publicApi
 * @example
 * useRawMiddleware(app, (req, res, next) => { res.setHeader('X-Served-By', 'api-1'); next(); });
 */
export function useRawMiddleware(app: INestApplication, middleware: RawMiddleware, slot?: MiddlewareSlot): void {
  const adapter = app.getHttpAdapter();
  const instance = adapter.getInstance() as object;
  const existing = chains.get(instance);
  if (existing) {
    if (slot !== undefined && existing.some((entry) => entry.slot === slot)) {
      throw new InvalidOptionsError(
        'RAMPART_INSTALLED_TWICE',
        `The "${slot}" middleware is installed twice: call useRampart(app) alone, or each use*() function once.`,
      );
    }
    // Stable insertion by slot: the chain's order never depends on the order of the calls.
    const at = existing.findIndex((entry) => rank(entry.slot) > rank(slot));
    existing.splice(at < 0 ? existing.length : at, 0, { slot, middleware });
    return;
  }
  const chain: ChainEntry[] = [{ slot, middleware }];
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

/** The slots filled on an application's chain (for start-up checks). */
export function installedSlots(
  app: INestApplication | { getHttpAdapter(): { getInstance(): unknown } },
): Set<MiddlewareSlot> {
  const chain = chains.get(app.getHttpAdapter().getInstance() as object) ?? [];
  return new Set(chain.flatMap((entry) => (entry.slot === undefined ? [] : [entry.slot])));
}

function runChain(
  chain: readonly ChainEntry[],
  req: IncomingMessage,
  res: ServerResponse,
  done: (error?: unknown) => void,
): void {
  let index = 0;
  const next = (error?: unknown): void => {
    const entry = chain[index++];
    if (error !== undefined || !entry) done(error);
    else entry.middleware(req, res, next);
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
