import { Logger } from '@nestjs/common';
import { OutboundError, type OutboundClient, type OutboundErrorCode } from '@rampart/outbound';
import { setTimeout as sleep } from 'node:timers/promises';
import { newWebhookMessageId, type StandardWebhookSigner } from './standard-webhook.signer';

/** Options of {@link WebhookDelivery}. @publicApi */
export interface WebhookDeliveryOptions {
  /**
   * The SSRF-safe client deliveries go out through: an allowlist of partner hosts, or
   * `allowAnyPublicHost` for URLs your users register (the deny list still holds).
   */
  client: Pick<OutboundClient, 'request'>;
  signer: StandardWebhookSigner;
  /** Attempts per message, the first included (1 to 20). @default 5 */
  maxAttempts?: number;
  /** Delay before the first retry; it doubles for each further one. @default 1000 */
  baseDelayMs?: number;
  /** Cap of one delay, `Retry-After` included. @default 300000 */
  maxDelayMs?: number;
  /** Called once when a message is given up: after the last attempt, or at a permanent failure. */
  onDeadLetter?: (letter: DeadLetter) => void | Promise<void>;
  /** Source of jitter, in [0, 1). @default Math.random */
  random?: () => number;
}

/** One message to deliver. @publicApi */
export interface WebhookMessage {
  url: string;
  /** Sent as is when a string; JSON-serialised otherwise. */
  payload: string | object;
  /** The message id, stable across retries (receivers deduplicate on it). @default a new `msg_…` */
  id?: string;
  /** Stops waiting and retrying (e.g. at shutdown); the message is then dead-lettered. */
  signal?: AbortSignal;
}

/** What happened to one attempt. @publicApi */
export interface DeliveryAttempt {
  /** The receiver's status, when one answered. */
  status?: number;
  /** The outbound client's error code, when none answered or the call was refused. */
  error?: OutboundErrorCode | 'ABORTED';
  /** The delay waited before the next attempt, if there is one. */
  retryInMs?: number;
}

/** The outcome of {@link WebhookDelivery.deliver}. @publicApi */
export interface DeliveryResult {
  id: string;
  delivered: boolean;
  attempts: readonly DeliveryAttempt[];
}

/** A message given up, for the application to store, alert on or replay later. @publicApi */
export interface DeadLetter extends DeliveryResult {
  url: string;
  body: string;
  /** Why it was given up: every attempt failed, or a failure retrying cannot fix. */
  reason: 'attempts_exhausted' | 'permanent_failure' | 'aborted';
}

/** Statuses worth retrying: the receiver is overloaded, down, or asked for time (RFC 9110 §15.5.9, §15.6). */
const RETRYABLE_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);
/** No answer came, or one too large to read: the message may not have arrived. Policy refusals are final. */
const RETRYABLE_ERRORS: ReadonlySet<OutboundErrorCode> = new Set([
  'OUTBOUND_CONNECTION_FAILED',
  'OUTBOUND_TIMEOUT',
  'OUTBOUND_RESPONSE_TOO_LARGE',
]);
/** A receiver's answer is not read: a small cap keeps a hostile one from making the sender buffer much. */
const RESPONSE_BYTES = 16 * 1024;

/**
 * Delivers signed webhooks with retries: Standard Webhooks headers (a new timestamp and signature
 * per attempt, the same `webhook-id`), the id also sent as `Idempotency-Key`, exponential backoff
 * with jitter (half fixed, half random, so retries of many messages spread out instead of
 * arriving together), `Retry-After` honoured up to `maxDelayMs`, and a dead-letter hook.
 * Requests go through `@rampart/outbound`, so a registered URL cannot reach internal addresses.
 * Retries wait in this process: for long schedules, run it from a job queue.
 * @publicApi
 * @example
 * const delivery = new WebhookDelivery({
 *   client: new OutboundClient({ allowAnyPublicHost: true }),
 *   signer: new StandardWebhookSigner([endpoint.secret]),
 *   onDeadLetter: (letter) => deadLetters.save(letter),
 * });
 * await delivery.deliver({ url: endpoint.url, payload: { type: 'invoice.paid', data } });
 */
export class WebhookDelivery {
  private readonly logger = new Logger('WebhookDelivery');
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly random: () => number;

  constructor(private readonly options: WebhookDeliveryOptions) {
    this.maxAttempts = whole(options.maxAttempts ?? 5, 1, 20, 'maxAttempts');
    this.baseDelayMs = whole(options.baseDelayMs ?? 1000, 1, 3_600_000, 'baseDelayMs');
    this.maxDelayMs = whole(options.maxDelayMs ?? 300_000, this.baseDelayMs, 86_400_000, 'maxDelayMs');
    this.random = options.random ?? Math.random;
  }

  async deliver(message: WebhookMessage): Promise<DeliveryResult> {
    const id = message.id ?? newWebhookMessageId();
    const body = typeof message.payload === 'string' ? message.payload : JSON.stringify(message.payload);
    const attempts: DeliveryAttempt[] = [];
    let reason: DeadLetter['reason'] = 'attempts_exhausted';
    for (let n = 1; n <= this.maxAttempts; n++) {
      const { attempt, retryAfterMs } = await this.attempt(message, id, body);
      attempts.push(attempt);
      if (attempt.status !== undefined && attempt.status >= 200 && attempt.status < 300) {
        return { id, delivered: true, attempts };
      }
      if (attempt.error === 'ABORTED') {
        reason = 'aborted';
        break;
      }
      if (!this.retryable(attempt)) {
        reason = 'permanent_failure';
        break;
      }
      if (n === this.maxAttempts) break;
      attempt.retryInMs = this.delay(n, retryAfterMs);
      try {
        await sleep(attempt.retryInMs, undefined, { signal: message.signal });
      } catch {
        reason = 'aborted';
        break;
      }
    }
    const result: DeliveryResult = { id, delivered: false, attempts };
    await this.deadLetter({ ...result, url: message.url, body, reason });
    return result;
  }

  private async attempt(
    message: WebhookMessage,
    id: string,
    body: string,
  ): Promise<{ attempt: DeliveryAttempt; retryAfterMs?: number | undefined }> {
    if (message.signal?.aborted) return { attempt: { error: 'ABORTED' } };
    try {
      const response = await this.options.client.request(message.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          // draft-ietf-httpapi-idempotency-key-header: the same key on every retry of the message.
          'idempotency-key': id,
          ...this.options.signer.sign({ id, body }),
        },
        body,
        maxResponseBytes: RESPONSE_BYTES,
        ...(message.signal ? { signal: message.signal } : {}),
      });
      return { attempt: { status: response.status }, retryAfterMs: retryAfter(response.headers['retry-after']) };
    } catch (error) {
      if (message.signal?.aborted) return { attempt: { error: 'ABORTED' } };
      if (error instanceof OutboundError) return { attempt: { error: error.outboundCode } };
      throw error;
    }
  }

  private retryable(attempt: DeliveryAttempt): boolean {
    if (attempt.status !== undefined) return RETRYABLE_STATUS.has(attempt.status);
    return attempt.error !== undefined && attempt.error !== 'ABORTED' && RETRYABLE_ERRORS.has(attempt.error);
  }

  /** Exponential backoff, equal jitter: half of the step fixed, half random; `Retry-After` when longer. */
  private delay(failures: number, retryAfterMs: number | undefined): number {
    const step = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (failures - 1));
    const jittered = Math.round(step / 2 + this.random() * (step / 2));
    return Math.min(this.maxDelayMs, Math.max(jittered, retryAfterMs ?? 0));
  }

  private async deadLetter(letter: DeadLetter): Promise<void> {
    this.logger.warn(`Webhook ${letter.id} given up after ${letter.attempts.length} attempt(s): ${letter.reason}.`);
    try {
      await this.options.onDeadLetter?.(letter);
    } catch (error) {
      this.logger.error(`The dead-letter hook failed for webhook ${letter.id}: ${(error as Error).message}`);
    }
  }
}

function whole(value: number, min: number, max: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new RangeError(`WebhookDelivery: ${name} must be a whole number from ${min} to ${max}.`);
  }
  return value;
}

/** `Retry-After` in seconds (RFC 9110 §10.2.3); an HTTP date is ignored. */
function retryAfter(value: string | string[] | undefined): number | undefined {
  return typeof value === 'string' && /^\d{1,6}$/.test(value) ? Number(value) * 1000 : undefined;
}
