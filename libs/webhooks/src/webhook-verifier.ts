import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { declareSecurityState, RAMPART_STORE, ReplayCache, type Store } from '@rampart/core';
import type { IncomingHttpHeaders } from 'node:http';
import type { WebhookContext } from './webhook-context';
import { webhookRejection } from './webhook-rejection';
import { WEBHOOKS_OPTIONS } from './webhooks.constants';
import type { ResolvedWebhooksOptions } from './webhooks.options';
import { WebhookVerificationError } from './verify/webhook-strategy';

/** A verified webhook and the Store key that remembers it (to forget it if handling fails). */
export interface WebhookVerification {
  context: WebhookContext;
  replayStoreKey: string | undefined;
}

/**
 * Verifies webhooks for the guard, and for code that receives them outside a controller (a queue
 * consumer): size cap, the endpoint's strategy, then replay defence in core's Store.
 * @publicApi
 */
@Injectable()
export class WebhookVerifier {
  private readonly logger = new Logger('Webhooks');

  constructor(
    @Inject(WEBHOOKS_OPTIONS) private readonly options: ResolvedWebhooksOptions,
    @Optional() @Inject(RAMPART_STORE) private readonly store?: Store,
  ) {
    // Verified ids are the replay defence: counters must not evict them (a replay would pass). An
    // empty prefix names no keys of their own: those ids then share the store's LRU.
    const { keyPrefix } = options;
    if (keyPrefix !== '') declareSecurityState(`webhooks-replay:${keyPrefix}`, (key) => key.startsWith(keyPrefix));
    if (options.replayDefence && !store) {
      throw new Error('WebhooksModule needs RampartCoreModule.forRoot() for replay defence (or replayDefence: false).');
    }
    if (options.replayDefence && store?.kind === 'memory') {
      this.logger.warn(
        'Replay defence remembers webhook ids in memory: a replay sent to another instance passes. Configure a Redis store when running several instances.',
      );
    }
  }

  /**
   * @throws SecurityError: 400 missing or malformed headers, 401 bad signature or stale
   * timestamp, 409 replayed message, 413 body over the cap, 503 when the Store cannot answer.
   */
  async verify(endpointName: string, headers: IncomingHttpHeaders, body: Buffer): Promise<WebhookVerification> {
    const endpoint = this.options.endpoints.get(endpointName);
    if (!endpoint)
      throw new Error(`No webhook endpoint named "${endpointName}" in WebhooksModule.forRoot({ endpoints }).`);
    const { strategy } = endpoint;
    // Checked before any hashing: the cost of an HMAC grows with the body an anonymous sender chooses.
    if (body.length > endpoint.maxBodyBytes) {
      throw webhookRejection(
        'body_too_large',
        `The webhook body is larger than ${endpoint.maxBodyBytes} bytes.`,
        endpointName,
        strategy.scheme,
      );
    }
    let verified;
    try {
      verified = strategy.verify({ headers, body, now: Date.now(), toleranceMs: endpoint.toleranceMs });
    } catch (error) {
      if (error instanceof WebhookVerificationError) {
        throw webhookRejection(error.reason, error.message, endpointName, strategy.scheme);
      }
      throw error;
    }
    const context: WebhookContext = { ...verified, endpoint: endpointName, rawBody: body };
    if (!this.options.replayDefence || !this.store) return { context, replayStoreKey: undefined };
    // Only verified messages are remembered, so an attacker cannot fill the store or pre-empt an id.
    const seen = new ReplayCache(this.store, `${this.options.keyPrefix}${endpointName}:`);
    const key = seen.keyOf(verified.replayKey);
    // SET NX PX on Redis: of two instances given the same message at once, exactly one wins. When
    // the store cannot answer, its StoreUnavailableError is a 503 with Retry-After: the sender
    // retries later, and no replay slips through meanwhile (fails closed).
    const first = await seen.claim(verified.replayKey, verified.replayWindowMs);
    if (!first) {
      throw webhookRejection('replayed', 'This webhook message was already received.', endpointName, strategy.scheme);
    }
    return { context, replayStoreKey: key };
  }

  /** Forgets a message, so the sender's retry of a delivery the app failed to handle is accepted. */
  async release(replayStoreKey: string): Promise<void> {
    try {
      await this.store?.delete(replayStoreKey);
    } catch (error) {
      this.logger.warn(
        `Could not forget a failed webhook; the sender's retry will be refused as a replay: ${(error as Error).message}`,
      );
    }
  }
}
