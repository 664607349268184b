import type { INestApplication } from '@nestjs/common';
import { getRequestState, pipelineOf, useRawMiddleware } from '@rampart/core';
import { PayloadTooLargeError, SecurityError, UnsupportedMediaTypeError } from '@rampart/errors';
import type { IncomingHttpHeaders, IncomingMessage, Server } from 'node:http';
import {
  VALIDATION_PART,
  DEFAULT_VALIDATION_OPTIONS,
  resolveValidationOptions,
  type ResolvedValidationOptions,
  type ValidationModuleOptions,
} from '../validation.options';
import { assertShape, markShapeChecked, parseJsonBody, refuse } from './json-shape';
import { countQueryParams, parseQueryString, queryOf } from './query-string';
import { applyServerLimits } from './server-limits';

type BodyKind = 'json' | 'form';

interface ExpressLike {
  set(setting: string, value: unknown): unknown;
  use(
    handler: (req: IncomingMessage & { body?: unknown }, res: unknown, next: (error?: unknown) => void) => void,
  ): unknown;
}

interface FastifyLike {
  addHook(
    name: 'onRequest',
    hook: (request: { raw: IncomingMessage; query: unknown }, reply: unknown, done: () => void) => void,
  ): unknown;
}

interface BodyParserApp {
  useBodyParser(type: string, options: Record<string, unknown>, parser?: unknown): unknown;
}

// The last Content-Type seen and its media type: a request's is asked for up to four times (the
// limits, the parser, the route's check) and most traffic sends one same value.
let lastContentType: string | undefined;
let lastMediaType = '';

/** The media type of a request, lower case, without parameters. */
export function mediaTypeOf(headers: IncomingHttpHeaders): string {
  const value = headers['content-type'];
  if (value === undefined) return '';
  if (value !== lastContentType) {
    lastMediaType = value.split(';')[0]?.trim().toLowerCase() ?? '';
    lastContentType = value;
  }
  return lastMediaType;
}

export function hasBody(headers: IncomingHttpHeaders): boolean {
  return (
    headers['transfer-encoding'] !== undefined ||
    (headers['content-length'] !== undefined && headers['content-length'] !== '0')
  );
}

/** Bytes of the body the parser read, or the declared length. */
export function bodyBytesOf(req: IncomingMessage): number {
  return getRequestState(req).bodyBytes ?? (Number(req.headers['content-length']) || 0);
}

function bodyKind(mediaType: string): BodyKind | undefined {
  if (mediaType === 'application/json' || mediaType.endsWith('+json')) return 'json';
  if (mediaType === 'application/x-www-form-urlencoded') return 'form';
  return undefined;
}

function parseBody(kind: BodyKind, text: string, options: ResolvedValidationOptions): unknown {
  if (kind === 'json') return parseJsonBody(text, options);
  // Refused, not truncated: a form cut short would pass validation with fields the client did not mean.
  if (countQueryParams(text) > options.maxKeys) {
    throw refuse('too_many_keys', `The form has more than ${options.maxKeys} fields.`);
  }
  const form = parseQueryString(text, options.maxKeys);
  assertShape(form, options);
  markShapeChecked(form);
  return form;
}

function optionsOf(app: INestApplication, overrides: ValidationModuleOptions | undefined): ResolvedValidationOptions {
  if (overrides) return resolveValidationOptions(overrides);
  // Without ValidationModule, the defaults still hold.
  return pipelineOf(app)?.part(VALIDATION_PART) ?? DEFAULT_VALIDATION_OPTIONS;
}

/**
 * Installs the platform-level request limits, ahead of routing and body parsing, on Express and
 * Fastify alike: URL length (414), header count (431), query-parameter count (400), body size
 * (413 — a declared `Content-Length` over the cap is refused before a byte is read, a chunked
 * body is cut off at the cap), compressed bodies and media types outside the allowlist (415),
 * then a prototype-poisoning-safe JSON parser held to the depth, key, array and string limits,
 * and a flat query-string parser. Also sets Node's header size and slow-loris timeouts.
 * Options come from `ValidationModule.forRoot()` unless given here. The limits run in the `limits`
 * slot of the platform chain (after the request context, security headers and threat, whatever
 * the call order, so a 413 carries the request id and the headers); call it before `listen()`,
 * or call `useRampart(app)`.
 * @publicApi
 * @example
 * useRequestContext(app);
 * useRequestLimits(app);
 */
export function useRequestLimits(app: INestApplication, overrides?: ValidationModuleOptions): void {
  const options = optionsOf(app, overrides);
  const mediaTypes = new Set(options.mediaTypes);
  applyServerLimits(app.getHttpServer() as Server, options, app.getHttpAdapter().getInstance() as object);

  useRawMiddleware(
    app,
    (req, _res, next) => {
      const url = req.url ?? '/';
      if (url.length > options.maxUrlLength) {
        return next(
          new SecurityError('URI_TOO_LONG', 414, `The request URI is longer than ${options.maxUrlLength} bytes.`, {
            reason: 'uri_too_long',
          }),
        );
      }
      if (req.rawHeaders.length / 2 > options.maxHeaderCount) {
        return next(
          new SecurityError('HEADERS_TOO_LARGE', 431, `The request has more than ${options.maxHeaderCount} headers.`, {
            reason: 'too_many_headers',
          }),
        );
      }
      if (countQueryParams(queryOf(url)) > options.maxQueryParams) {
        return next(
          refuse('too_many_query_params', `The query string has more than ${options.maxQueryParams} parameters.`),
        );
      }
      if (!hasBody(req.headers)) return next();
      if (Number(req.headers['content-length']) > options.maxBodyBytes) {
        return next(
          new PayloadTooLargeError(`The request body is larger than ${options.maxBodyBytes} bytes.`, {
            reason: 'body_too_large',
          }),
        );
      }
      const encoding = req.headers['content-encoding']?.trim().toLowerCase();
      if (encoding && encoding !== 'identity') {
        // A compressed body is a zip bomb's way in, and the platforms disagree on inflating it.
        return next(
          new UnsupportedMediaTypeError('Send the request body uncompressed.', { reason: 'content_encoding' }),
        );
      }
      if (!mediaTypes.has(mediaTypeOf(req.headers))) {
        return next(
          new UnsupportedMediaTypeError(`Send the body as one of: ${[...mediaTypes].join(', ')}.`, {
            reason: 'media_type',
          }),
        );
      }
      next();
    },
    'limits',
  );

  const parsed = [...mediaTypes].filter((type) => bodyKind(type) !== undefined);
  const parserApp = app as unknown as BodyParserApp;
  const instance = app.getHttpAdapter().getInstance() as unknown;
  if (app.getHttpAdapter().getType() === 'fastify') {
    (instance as FastifyLike).addHook('onRequest', (request, _reply, done) => {
      request.query = parseQueryString(queryOf(request.raw.url ?? ''), options.maxQueryParams);
      done();
    });
    for (const type of parsed) {
      parserApp.useBodyParser(
        type,
        { bodyLimit: options.maxBodyBytes },
        (req: { raw: IncomingMessage }, body: Buffer, done: (error: unknown, value?: unknown) => void) => {
          getRequestState(req.raw).bodyBytes = body.length;
          try {
            done(null, parseBody(bodyKind(type) ?? 'json', body.toString('utf8'), options));
          } catch (error) {
            done(error);
          }
        },
      );
    }
    return;
  }
  const express = instance as ExpressLike;
  express.set('query parser', (query: string) => parseQueryString(query, options.maxQueryParams));
  // body-parser reads the body (with the byte cap, charsets, and Nest's rawBody option); the
  // parsing is Rampart's.
  parserApp.useBodyParser('text', {
    type: (req: IncomingMessage) => parsed.includes(mediaTypeOf(req.headers)),
    limit: options.maxBodyBytes,
  });
  express.use((req, _res, next) => {
    const kind = bodyKind(mediaTypeOf(req.headers));
    if (kind === undefined || typeof req.body !== 'string' || !parsed.includes(mediaTypeOf(req.headers))) return next();
    getRequestState(req).bodyBytes = Buffer.byteLength(req.body);
    try {
      req.body = parseBody(kind, req.body, options);
    } catch (error) {
      return next(error);
    }
    next();
  });
}
