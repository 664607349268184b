import { HttpException } from '@nestjs/common';
import type { SecurityEventType, SecurityPrincipal, SecuritySeverity } from '@rampart/core';

/**
 * Stable machine-readable codes of Rampart's problem responses. Public API: documented, never
 * renamed; clients and tests match on them, never on messages.
 * @publicApi
 */
export type SecurityErrorCode =
  | 'BAD_REQUEST'
  | 'VALIDATION_ERROR'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'NOT_ACCEPTABLE'
  | 'CONFLICT'
  | 'GONE'
  | 'PAYLOAD_TOO_LARGE'
  | 'URI_TOO_LONG'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'HEADERS_TOO_LARGE'
  | 'RATE_LIMITED'
  | 'THREAT_DETECTED'
  | 'SERVICE_UNAVAILABLE'
  | 'BAD_GATEWAY'
  | 'TIMEOUT'
  | 'INTERNAL_ERROR';

/** One invalid input, as listed in a VALIDATION_ERROR problem's `errors`. */
export interface FieldError {
  /** Dotted path of the input, e.g. `profile.bio`; `''` for the body as a whole. */
  field: string;
  message: string;
}

export interface SecurityErrorOptions {
  /** A stable reason for logs and security events, e.g. `token_expired`. Never sent to the client. */
  reason?: string;
  /** Extra members of the problem document (RFC 9457 §3.2), e.g. `{ limitedBy: 'minute' }`. */
  extensions?: Record<string, unknown>;
  /** Response headers, e.g. `WWW-Authenticate` or `Retry-After`. */
  headers?: Record<string, string>;
  /** Facts for the security event the filter emits (redacted there); never sent to the client. */
  eventDetails?: Record<string, unknown>;
  /** Who was authenticated, for the security event (its `subject` is derived from it). */
  principal?: SecurityPrincipal;
  /**
   * The security event the filter emits for this error, in place of the one its code maps to
   * (e.g. `webhook.rejected` for a refused webhook, which is no user's failed sign-in).
   */
  event?: { type: SecurityEventType; severity: SecuritySeverity };
  cause?: unknown;
}

/**
 * Nest's HttpException, typed without its private members: SecurityError has a public `status`
 * (the same value HttpException keeps privately), which TypeScript would refuse to redeclare.
 */
const HttpExceptionBase = HttpException as unknown as new (
  response: Record<string, unknown>,
  status: number,
  options?: { cause?: unknown },
) => Error & { getStatus(): number; getResponse(): string | object };

/**
 * Base of every error Rampart's libs throw for a request. The message is the problem's `detail`
 * and reaches the client only when `expose` is true (status < 500): write it for the client.
 * It is a Nest `HttpException`, so even without `ErrorsModule`'s filter Nest answers with its
 * status (a 401 stays a 401, never a 500), in Nest's own JSON shape.
 * @publicApi
 */
export class SecurityError extends HttpExceptionBase {
  readonly expose: boolean;
  readonly reason: string | undefined;
  readonly extensions: Readonly<Record<string, unknown>>;
  readonly headers: Readonly<Record<string, string>>;
  readonly eventDetails: Readonly<Record<string, unknown>> | undefined;
  readonly principal: SecurityPrincipal | undefined;
  readonly event: Readonly<{ type: SecurityEventType; severity: SecuritySeverity }> | undefined;

  constructor(
    readonly code: SecurityErrorCode,
    readonly status: number,
    message: string,
    options: SecurityErrorOptions = {},
  ) {
    // What Nest's default filter sends when ErrorsModule is missing: the code, and the message
    // only where a problem document would expose it.
    super(
      { statusCode: status, code, message: status < 500 ? message : 'Internal server error' },
      status,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.message = message;
    this.name = new.target.name;
    this.expose = status < 500;
    this.reason = options.reason;
    this.extensions = options.extensions ?? {};
    this.headers = options.headers ?? {};
    this.eventDetails = options.eventDetails;
    this.principal = options.principal;
    this.event = options.event;
  }
}

/** 400 with one entry per invalid field. Messages must not echo the rejected values. @publicApi */
export class ValidationError extends SecurityError {
  constructor(
    readonly errors: readonly FieldError[],
    message = 'The request is invalid: see `errors` for each field.',
    options: SecurityErrorOptions = {},
  ) {
    super('VALIDATION_ERROR', 400, message, {
      reason: 'validation_failed',
      ...options,
      extensions: { ...options.extensions, errors },
    });
  }
}

/** @publicApi */
export class BadRequestError extends SecurityError {
  constructor(message = 'The request is malformed.', options?: SecurityErrorOptions) {
    super('BAD_REQUEST', 400, message, options);
  }
}

/** 401. Put the RFC 6750 challenge in `options.headers['WWW-Authenticate']`. @publicApi */
export class UnauthorizedError extends SecurityError {
  constructor(message = 'Authentication is required.', options?: SecurityErrorOptions) {
    super('UNAUTHORIZED', 401, message, options);
  }
}

/** @publicApi */
export class ForbiddenError extends SecurityError {
  constructor(message = 'You are not allowed to do this.', options?: SecurityErrorOptions) {
    super('FORBIDDEN', 403, message, options);
  }
}

/** @publicApi */
export class NotFoundError extends SecurityError {
  constructor(message = 'Nothing was found at this address.', options?: SecurityErrorOptions) {
    super('NOT_FOUND', 404, message, options);
  }
}

/** @publicApi */
export class PayloadTooLargeError extends SecurityError {
  constructor(message = 'The request body is larger than this endpoint accepts.', options?: SecurityErrorOptions) {
    super('PAYLOAD_TOO_LARGE', 413, message, options);
  }
}

/** @publicApi */
export class UnsupportedMediaTypeError extends SecurityError {
  constructor(
    message = 'The request body has a content type this endpoint does not accept.',
    options?: SecurityErrorOptions,
  ) {
    super('UNSUPPORTED_MEDIA_TYPE', 415, message, options);
  }
}

/** 429. Put `Retry-After` in `options.headers`. @publicApi */
export class RateLimitedError extends SecurityError {
  constructor(message = 'Too many requests: slow down and retry later.', options?: SecurityErrorOptions) {
    super('RATE_LIMITED', 429, message, options);
  }
}

/** 403 for a request judged malicious. The offending input is never echoed. @publicApi */
export class ThreatDetectedError extends SecurityError {
  constructor(message = 'The request was refused by a security policy.', options?: SecurityErrorOptions) {
    super('THREAT_DETECTED', 403, message, options);
  }
}

/** Seconds a 503 asks the client to wait unless the thrower says otherwise. */
const DEFAULT_RETRY_AFTER = '5';

/** 503 with `Retry-After` (5 s unless `options.headers` names another; RFC 9110 §10.2.3). @publicApi */
export class ServiceUnavailableError extends SecurityError {
  constructor(message = 'The service is temporarily unavailable: retry later.', options: SecurityErrorOptions = {}) {
    super('SERVICE_UNAVAILABLE', 503, message, {
      ...options,
      headers: { 'Retry-After': DEFAULT_RETRY_AFTER, ...options.headers },
    });
  }
}
