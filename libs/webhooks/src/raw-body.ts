import { rawRequest } from '@rampart/core';

const EMPTY = Buffer.alloc(0);

/**
 * The body bytes exactly as received. Nest keeps them as `request.rawBody` on Express and Fastify
 * when the application is created with `{ rawBody: true }`; Rampart's body parsing
 * (`useRequestLimits`) registers its parsers through Nest, so its caps still apply first.
 */
export function rawBodyOf(req: object): Buffer {
  const raw = (req as { rawBody?: unknown }).rawBody;
  if (Buffer.isBuffer(raw)) return raw;
  const { headers } = rawRequest(req);
  const declared = headers['content-length'];
  if (headers['transfer-encoding'] === undefined && (declared === undefined || declared === '0')) return EMPTY;
  // Verifying a re-serialisation of the parsed JSON would refuse valid signatures (key order,
  // spacing, number formats) or pass bytes the sender never signed: refuse to guess.
  throw new Error(
    'A webhook arrived without its raw body: create the application with NestFactory.create(AppModule, { rawBody: true }).',
  );
}
