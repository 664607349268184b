import type { IncomingHttpHeaders } from 'node:http';

/**
 * Why a webhook was refused. Public API: the `reason` of the problem's security event
 * (`webhook.rejected`), never renamed.
 * @publicApi
 */
export type WebhookRejectionReason =
  | 'missing_header'
  | 'malformed_header'
  | 'timestamp_out_of_tolerance'
  | 'signature_mismatch'
  | 'replayed'
  | 'body_too_large';

/**
 * A strategy's verdict against a request: thrown by {@link WebhookStrategy.verify}, turned into a
 * problem+json answer (400 for headers, 401 for signatures and timestamps) by the guard.
 * @publicApi
 */
export class WebhookVerificationError extends Error {
  constructor(
    readonly reason: WebhookRejectionReason,
    message: string,
  ) {
    super(message);
    this.name = 'WebhookVerificationError';
  }
}

/** What a strategy is given: the request's headers and its body exactly as received. @publicApi */
export interface WebhookRequest {
  readonly headers: IncomingHttpHeaders;
  /** The raw body bytes; never a re-serialisation of the parsed JSON. */
  readonly body: Buffer;
  /** Milliseconds since the epoch, read once per request. */
  readonly now: number;
  /** How far the signed timestamp may be from `now`, either way. */
  readonly toleranceMs: number;
}

/** A webhook whose signature checked out. @publicApi */
export interface VerifiedWebhook {
  /** The sender's message id, when the scheme has one (`webhook-id`, `X-GitHub-Delivery`). */
  readonly id: string | undefined;
  /** The signed timestamp in seconds, when the scheme signs one. */
  readonly timestamp: number | undefined;
  /**
   * What identifies this exact message among signed ones, for replay defence: the signed
   * message id, or the verified signature itself where the scheme signs no id.
   */
  readonly replayKey: string;
  /**
   * How long, from now, a replay of this message could still pass the timestamp check: the
   * replay key is remembered that long.
   */
  readonly replayWindowMs: number;
}

/**
 * One signature scheme. A strategy is built once at bootstrap from its secrets (decoded and
 * checked there) and is then a pure function of the request: add a scheme by implementing this.
 * @publicApi
 * @example
 * WebhooksModule.forRoot({ endpoints: { acme: { strategy: new AcmeStrategy(process.env.ACME_SECRET) } } })
 */
export interface WebhookStrategy {
  /** e.g. `standard-webhooks`, `stripe`, `github`. */
  readonly scheme: string;
  /** @throws WebhookVerificationError when the request is not a valid, current, signed message. */
  verify(request: WebhookRequest): VerifiedWebhook;
}

/** The one value of a header, or undefined when it is absent or repeated (a repeated header is ambiguous). */
export function singleHeader(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return typeof value === 'string' ? value : undefined;
}

/** The header's value, or a `missing_header` refusal naming it. */
export function requireHeader(headers: IncomingHttpHeaders, name: string): string {
  const value = headers[name];
  if (value === undefined || value === '') {
    throw new WebhookVerificationError('missing_header', `The ${name} header is missing.`);
  }
  if (typeof value !== 'string') {
    throw new WebhookVerificationError('malformed_header', `Send the ${name} header once.`);
  }
  return value;
}

const SECONDS = /^\d{1,12}$/;

/**
 * Checks a signed Unix timestamp (seconds) against the tolerance, both ways: an old one is a
 * captured message being replayed, one from the future would stay replayable for longer.
 * @returns the timestamp and how long a replay of it stays inside the tolerance.
 */
export function checkTimestamp(
  value: string,
  header: string,
  request: WebhookRequest,
): { timestamp: number; replayWindowMs: number } {
  if (!SECONDS.test(value)) {
    throw new WebhookVerificationError('malformed_header', `The ${header} must be a Unix time in seconds.`);
  }
  const timestamp = Number(value);
  const skewMs = request.now - timestamp * 1000;
  if (Math.abs(skewMs) > request.toleranceMs) {
    throw new WebhookVerificationError(
      'timestamp_out_of_tolerance',
      `The signed timestamp is more than ${Math.round(request.toleranceMs / 1000)} s from the server's clock: send a fresh delivery.`,
    );
  }
  // Until timestamp + tolerance passes, a copy of this message would pass the check above.
  return { timestamp, replayWindowMs: Math.max(1000, request.toleranceMs - skewMs + 1000) };
}
