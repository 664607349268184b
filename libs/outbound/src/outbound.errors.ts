import { SecurityError, type FieldError, type SecurityErrorOptions } from '@rampart/errors';

/**
 * Why an outbound call failed. Public API: stable, documented, never renamed; match on
 * `error.outboundCode` (the problem's `code` is the generic `BAD_GATEWAY` or `TIMEOUT`).
 * @publicApi
 */
export type OutboundErrorCode =
  | 'OUTBOUND_INVALID_URL'
  | 'OUTBOUND_SCHEME_NOT_ALLOWED'
  | 'OUTBOUND_HOST_NOT_ALLOWED'
  | 'OUTBOUND_ADDRESS_DENIED'
  | 'OUTBOUND_TOO_MANY_REDIRECTS'
  | 'OUTBOUND_CERTIFICATE_PIN_MISMATCH'
  | 'OUTBOUND_CONNECTION_FAILED'
  | 'OUTBOUND_TIMEOUT'
  | 'OUTBOUND_RESPONSE_TOO_LARGE'
  | 'OUTBOUND_UPSTREAM_STATUS'
  | 'OUTBOUND_RESPONSE_INVALID';

/** Which limit a timed-out call hit. */
export type OutboundTimeoutPhase = 'connect' | 'headers' | 'body' | 'total';

/**
 * Base of every error `OutboundClient` throws. A `SecurityError` with status 502 (504 for a
 * timeout): when it escapes a request handler, the client sees a plain `BAD_GATEWAY`/`TIMEOUT`
 * problem and nothing of the third party (status ≥ 500 is never exposed); the server logs it
 * in full with the request id.
 * @publicApi
 * @example
 * try { await partner.json(url, { schema: QuoteDto }); }
 * catch (error) { if (error instanceof OutboundError && error.outboundCode === 'OUTBOUND_TIMEOUT') … }
 */
export class OutboundError extends SecurityError {
  constructor(
    readonly outboundCode: OutboundErrorCode,
    message: string,
    options: SecurityErrorOptions & { status?: 502 | 504 } = {},
  ) {
    const status = options.status ?? 502;
    super(status === 504 ? 'TIMEOUT' : 'BAD_GATEWAY', status, message, {
      reason: outboundCode.toLowerCase(),
      ...options,
    });
  }
}

/** The URL does not parse, or carries credentials (`user:pass@`). @publicApi */
export class OutboundInvalidUrlError extends OutboundError {
  constructor(message: string) {
    super('OUTBOUND_INVALID_URL', message);
  }
}

/** A scheme other than https, or http to a host without `allowHttp`. @publicApi */
export class OutboundSchemeNotAllowedError extends OutboundError {
  constructor(
    readonly scheme: string,
    readonly host: string,
  ) {
    super(
      'OUTBOUND_SCHEME_NOT_ALLOWED',
      `Outbound ${scheme} to ${host} is not allowed: use https or set allowHttp for this host.`,
    );
  }
}

/** The host (of the request or of a redirect) is not on the client's allowlist. @publicApi */
export class OutboundHostNotAllowedError extends OutboundError {
  constructor(
    readonly host: string,
    readonly redirect: boolean,
  ) {
    super(
      'OUTBOUND_HOST_NOT_ALLOWED',
      `${redirect ? 'A redirect' : 'The request'} to ${host} was refused: the host is not on this client's allowlist.`,
    );
  }
}

/**
 * The host is, or resolved to, an address outside the public internet (loopback, private,
 * link-local/metadata, CGNAT, reserved, multicast, or one reached through IPv6 translation).
 * @publicApi
 */
export class OutboundAddressDeniedError extends OutboundError {
  constructor(
    readonly host: string,
    readonly address: string,
  ) {
    super(
      'OUTBOUND_ADDRESS_DENIED',
      `The connection to ${host} was refused: it resolves to ${address}, which is not a public address (SSRF defence).`,
    );
  }
}

/** @publicApi */
export class OutboundTooManyRedirectsError extends OutboundError {
  constructor(readonly limit: number) {
    super('OUTBOUND_TOO_MANY_REDIRECTS', `The call was redirected more than ${limit} times.`);
  }
}

/** The server's public key matches none of the host's pins (SPKI SHA-256). @publicApi */
export class OutboundCertificatePinError extends OutboundError {
  constructor(readonly host: string) {
    super('OUTBOUND_CERTIFICATE_PIN_MISMATCH', `The certificate of ${host} matches none of its pinned keys.`);
  }
}

/** DNS failure, refused connection, TLS failure or a connection cut by the third party. @publicApi */
export class OutboundConnectionError extends OutboundError {
  constructor(
    readonly host: string,
    cause: unknown,
  ) {
    super('OUTBOUND_CONNECTION_FAILED', `The connection to ${host} failed.`, { cause });
  }
}

/** @publicApi */
export class OutboundTimeoutError extends OutboundError {
  constructor(
    readonly host: string,
    readonly phase: OutboundTimeoutPhase,
    readonly limitMs: number,
    cause?: unknown,
  ) {
    super('OUTBOUND_TIMEOUT', `The call to ${host} exceeded its ${phase} timeout of ${limitMs} ms.`, {
      status: 504,
      cause,
    });
  }
}

/** The response body grew past `maxResponseBytes`; the connection was cut there. @publicApi */
export class OutboundResponseTooLargeError extends OutboundError {
  constructor(
    readonly host: string,
    readonly limitBytes: number,
  ) {
    super('OUTBOUND_RESPONSE_TOO_LARGE', `The response of ${host} is larger than ${limitBytes} bytes.`);
  }
}

/** `json()` got a status outside 2xx. @publicApi */
export class OutboundUpstreamStatusError extends OutboundError {
  constructor(
    readonly host: string,
    readonly upstreamStatus: number,
  ) {
    super('OUTBOUND_UPSTREAM_STATUS', `${host} answered ${upstreamStatus}.`);
  }
}

/**
 * The response is not JSON, or does not match the schema/DTO (OWASP API10: unsafe consumption
 * of third-party APIs). `errors` lists what is wrong, for the logs; the app never sees the value.
 * @publicApi
 */
export class OutboundResponseInvalidError extends OutboundError {
  constructor(
    readonly host: string,
    readonly errors: readonly FieldError[],
  ) {
    super('OUTBOUND_RESPONSE_INVALID', `The response of ${host} does not match the expected schema.`, {
      eventDetails: { fields: errors.map((e) => e.field) },
    });
  }
}
