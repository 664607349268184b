import { HttpException } from '@nestjs/common';
import { MalformedRequestError, StoreUnavailableError } from '@rampart/core';
import { SecurityError, type FieldError, type SecurityErrorCode } from './security-error';

/** An RFC 9457 problem document as Rampart sends it. @publicApi */
export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: SecurityErrorCode;
  requestId: string;
  timestamp: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

/** What the filter decided to send, and whether the error is the server's fault. */
export interface Problem {
  status: number;
  code: SecurityErrorCode;
  title: string;
  detail: string;
  extensions: Readonly<Record<string, unknown>>;
  headers: Readonly<Record<string, string>>;
  reason: string | undefined;
  /** True for errors the client did not cause: log them in full, send nothing of them. */
  internal: boolean;
}

const TITLES: Readonly<Record<SecurityErrorCode, string>> = {
  BAD_REQUEST: 'Bad request',
  VALIDATION_ERROR: 'Invalid request',
  UNAUTHORIZED: 'Unauthorized',
  FORBIDDEN: 'Forbidden',
  NOT_FOUND: 'Not found',
  METHOD_NOT_ALLOWED: 'Method not allowed',
  NOT_ACCEPTABLE: 'Not acceptable',
  CONFLICT: 'Conflict',
  GONE: 'Gone',
  PAYLOAD_TOO_LARGE: 'Payload too large',
  URI_TOO_LONG: 'URI too long',
  UNSUPPORTED_MEDIA_TYPE: 'Unsupported media type',
  HEADERS_TOO_LARGE: 'Request header fields too large',
  RATE_LIMITED: 'Too many requests',
  THREAT_DETECTED: 'Request refused',
  SERVICE_UNAVAILABLE: 'Service unavailable',
  BAD_GATEWAY: 'Bad gateway',
  TIMEOUT: 'Timeout',
  INTERNAL_ERROR: 'Internal server error',
};

const CODE_BY_STATUS: Readonly<Record<number, SecurityErrorCode>> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  408: 'TIMEOUT',
  409: 'CONFLICT',
  410: 'GONE',
  413: 'PAYLOAD_TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'VALIDATION_ERROR',
  429: 'RATE_LIMITED',
  431: 'HEADERS_TOO_LARGE',
  502: 'BAD_GATEWAY',
  503: 'SERVICE_UNAVAILABLE',
  504: 'TIMEOUT',
};

/**
 * Details for errors raised by the platform's body parser and router. Their own messages can
 * quote the request body (a JSON parser's "Unexpected token … in …"), so they are never used.
 */
const PLATFORM_DETAILS: Readonly<Record<number, string>> = {
  400: 'The request could not be parsed: check that the body is well-formed.',
  413: 'The request body is larger than this endpoint accepts.',
  414: 'The request URI is longer than this server accepts.',
  415: 'The request body has a content type this endpoint does not accept.',
  431: 'The request headers are larger than this server accepts.',
};

export function problemTitle(code: SecurityErrorCode): string {
  return TITLES[code];
}

function codeForStatus(status: number): SecurityErrorCode {
  return CODE_BY_STATUS[status] ?? (status >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST');
}

/** A status a platform error carries (http-errors' `status`, Fastify's `statusCode`), if it is a 4xx. */
function clientErrorStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { status, statusCode } = error as { status?: unknown; statusCode?: unknown };
  const value = typeof statusCode === 'number' ? statusCode : status;
  return typeof value === 'number' && value >= 400 && value < 500 ? value : undefined;
}

function fromHttpException(error: HttpException): Problem {
  const status = error.getStatus();
  const response = error.getResponse();
  const message = typeof response === 'object' ? (response as { message?: unknown }).message : response;
  const internal = status >= 500;
  if (!internal && Array.isArray(message)) {
    // Nest's own ValidationPipe: a list of messages without structured fields.
    const errors = message.map((m) => ({ field: '', message: String(m) }));
    return problem(400, 'VALIDATION_ERROR', 'The request is invalid: see `errors` for each field.', { errors });
  }
  const code = codeForStatus(status);
  let detail = !internal && typeof message === 'string' ? message : TITLES[code];
  // The router's "Cannot GET /path" would echo the client's input back; say the same thing plainly.
  if (status === 404 && detail.startsWith('Cannot ')) detail = 'No route matches this method and path.';
  return { ...problem(status, code, detail), internal };
}

function fromPlatformError(status: number): Problem {
  const code = codeForStatus(status);
  return problem(status, code, PLATFORM_DETAILS[status] ?? TITLES[code]);
}

function problem(
  status: number,
  code: SecurityErrorCode,
  detail: string,
  extensions: Record<string, unknown> = {},
): Problem {
  return { status, code, title: TITLES[code], detail, extensions, headers: {}, reason: undefined, internal: false };
}

/** Decides the problem to send for anything thrown while handling a request. */
export function toProblem(error: unknown): Problem {
  if (error instanceof SecurityError) {
    const internal = !error.expose;
    return {
      status: error.status,
      code: error.code,
      title: TITLES[error.code],
      detail: internal ? TITLES[error.code] : error.message,
      extensions: internal ? {} : error.extensions,
      headers: error.headers,
      reason: error.reason,
      internal,
    };
  }
  if (error instanceof MalformedRequestError) {
    return { ...problem(400, 'BAD_REQUEST', error.message), reason: error.reason };
  }
  if (error instanceof StoreUnavailableError) {
    // An outage of the shared store is the server's problem and a temporary one: 503 with
    // Retry-After (RFC 9110 §15.6.4), on every route, whichever lib or handler met it first.
    return {
      ...problem(503, 'SERVICE_UNAVAILABLE', 'The service is temporarily unavailable: retry later.'),
      headers: { 'Retry-After': String(error.retryAfterSeconds) },
      reason: 'store_unavailable',
      internal: true,
    };
  }
  if (error instanceof HttpException) {
    // Nest wraps the body parser's errors in an HttpException that carries their message.
    const wrapped = clientErrorStatus(error.cause);
    return wrapped === undefined ? fromHttpException(error) : fromPlatformError(wrapped);
  }
  const status = clientErrorStatus(error);
  if (status !== undefined) return fromPlatformError(status);
  return {
    ...problem(500, 'INTERNAL_ERROR', 'An unexpected error occurred. Quote the requestId when reporting it.'),
    internal: true,
  };
}
