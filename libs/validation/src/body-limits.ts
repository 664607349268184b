import type { INestApplication } from '@nestjs/common';
import { useRawMiddleware } from '@rampart/core';
import { PayloadTooLargeError, UnsupportedMediaTypeError } from '@rampart/errors';

/** Options of {@link useBodyLimits}. @publicApi */
export interface BodyLimitsOptions {
  /** Largest request body accepted, in bytes. @default 102400 (100 kB) */
  maxBytes?: number;
  /**
   * Media types a request body may have. Anything else is refused with 415 before it is read:
   * a parser the API never meant to expose (urlencoded, multipart, XML) is attack surface.
   * @default ['application/json']
   */
  mediaTypes?: readonly string[];
}

interface BodyParserApp {
  useBodyParser(type: string, options: Record<string, unknown>): unknown;
}

function hasBody(headers: Record<string, string | string[] | undefined>): boolean {
  return (
    headers['transfer-encoding'] !== undefined ||
    (headers['content-length'] !== undefined && headers['content-length'] !== '0')
  );
}

/**
 * Caps request bodies on Express and Fastify alike and refuses media types the API does not
 * accept. A declared `Content-Length` over the cap is refused before a byte is read; a chunked
 * body is cut off by the platform's parser at the same cap. Both answer 413 problem+json.
 * Call it before `listen()`, after `useRequestContext(app)`.
 * @publicApi
 * @example
 * useBodyLimits(app, { maxBytes: 100 * 1024 });
 */
export function useBodyLimits(app: INestApplication, options: BodyLimitsOptions = {}): void {
  const maxBytes = options.maxBytes ?? 100 * 1024;
  if (!Number.isSafeInteger(maxBytes) || maxBytes <= 0) {
    throw new TypeError(`useBodyLimits: maxBytes must be a positive integer, got ${String(maxBytes)}`);
  }
  const mediaTypes = new Set((options.mediaTypes ?? ['application/json']).map((type) => type.toLowerCase()));
  const parserApp = app as unknown as BodyParserApp;
  if (app.getHttpAdapter().getType() === 'fastify') {
    parserApp.useBodyParser('application/json', { bodyLimit: maxBytes });
  } else {
    parserApp.useBodyParser('json', { limit: maxBytes });
  }
  useRawMiddleware(app, (req, _res, next) => {
    if (!hasBody(req.headers)) return next();
    const declared = Number(req.headers['content-length']);
    if (declared > maxBytes) {
      return next(
        new PayloadTooLargeError(`The request body is larger than ${maxBytes} bytes.`, { reason: 'body_too_large' }),
      );
    }
    const mediaType = req.headers['content-type']?.split(';')[0]?.trim().toLowerCase() ?? '';
    if (!mediaTypes.has(mediaType)) {
      return next(
        new UnsupportedMediaTypeError(`Send the body as one of: ${[...mediaTypes].join(', ')}.`, {
          reason: 'media_type',
        }),
      );
    }
    next();
  });
}
