import { BadRequestError, PayloadTooLargeError } from '@rampart/errors';
import type { IncomingMessage } from 'node:http';
import sjson from 'secure-json-parse';

/** What the guard inspects, and what the handler then receives as the body. */
export interface UnparsedBody {
  inspected: unknown;
  body: unknown;
}

/** JSON:API (`application/vnd.api+json`), any other `+json` type, and GraphQL documents. */
function unparsedKind(req: IncomingMessage): 'json' | 'text' | undefined {
  const type = req.headers['content-type']?.split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === 'application/graphql') return 'text';
  if (type.startsWith('application/') && type.endsWith('+json')) return 'json';
  return undefined;
}

/**
 * Reads a body the platform left unparsed so that it can be inspected: Express parses only
 * `application/json` and forms, so a JSON:API or GraphQL body reached handlers (or a later
 * parser) unseen. Only when the stream is still unread and the type is one of those; at most
 * `limit` bytes (413 beyond, as body-parser answers). Returns `undefined` when there is nothing
 * to read. Fastify parses or refuses (415) every type before guards run, so this never applies there.
 */
export function readUnparsedBody(req: IncomingMessage, limit: number): Promise<UnparsedBody> | undefined {
  const kind = unparsedKind(req);
  if (kind === undefined || req.readableEnded || !req.readable) return undefined;
  return new Promise<UnparsedBody>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        req.resume(); // drain the rest so the connection can answer
        reject(new PayloadTooLargeError(undefined, { reason: 'body_too_large' }));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('error', reject);
    req.once('end', () => {
      if (size > limit) return;
      const text = Buffer.concat(chunks).toString('utf8');
      if (kind === 'text') return resolve({ inspected: text, body: text });
      try {
        // The inspection sees the keys as sent (a `__proto__` key is a finding); the handler gets
        // them without `__proto__` and `constructor.prototype` (prototype poisoning).
        resolve({
          inspected: JSON.parse(text) as unknown,
          body: sjson.parse(text, undefined, { protoAction: 'remove', constructorAction: 'remove' }),
        });
      } catch {
        reject(new BadRequestError('The request body is not valid JSON.', { reason: 'invalid_json' }));
      }
    });
  });
}
