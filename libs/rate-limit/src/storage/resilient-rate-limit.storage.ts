import { Logger } from '@nestjs/common';
import type { SecurityEvents } from '@rampart/core';
import { ServiceUnavailableError } from '@rampart/errors';
import type { ResolvedTier } from '../rate-limit.options';
import type { RateLimitDecision, RateLimitStorage } from './rate-limit.storage';

export interface ResilienceOptions {
  onStoreFailure: 'failOpen' | 'failClosed';
  deadlineMs: number;
  /** While degraded, one request per interval tries the shared store again. @default 1000 */
  probeIntervalMs?: number;
}

class DeadlineExceeded extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
  }
}

/**
 * Puts the outage policy around a shared store: a decision that fails or misses the deadline is
 * taken by the per-instance insurance limiter (`failOpen`) or refused with a 503 (`failClosed`),
 * never left hanging and never a 500. Entering and leaving degraded mode is logged once and
 * reported as a security event; while degraded, one request per `probeIntervalMs` tries the shared
 * store again, so recovery needs no timer and no traffic of its own.
 */
export class ResilientRateLimitStorage implements RateLimitStorage {
  private readonly logger = new Logger('RateLimit');
  private degradedSince: number | undefined;
  private nextProbeAt = 0;
  /** Decisions the store has answered: evidence that it is alive, if busy. */
  private answers = 0;
  private readonly probeIntervalMs: number;

  constructor(
    private readonly primary: RateLimitStorage,
    private readonly insurance: RateLimitStorage,
    private readonly options: ResilienceOptions,
    private readonly events?: SecurityEvents,
  ) {
    this.probeIntervalMs = options.probeIntervalMs ?? 1000;
  }

  /** Whether decisions are currently taken without the shared store. */
  get degraded(): boolean {
    return this.degradedSince !== undefined;
  }

  async decide(key: string, tiers: readonly ResolvedTier[], cost: number): Promise<RateLimitDecision> {
    if (this.degradedSince !== undefined) {
      const now = Date.now();
      if (now < this.nextProbeAt) return this.fallback(key, tiers, cost);
      this.nextProbeAt = now + this.probeIntervalMs;
    }
    let decision: RateLimitDecision;
    try {
      decision = await this.withDeadline(this.primary.decide(key, tiers, cost));
    } catch (error) {
      this.degrade(error as Error);
      return this.fallback(key, tiers, cost);
    }
    if (this.degradedSince !== undefined) this.recover();
    return decision;
  }

  /**
   * The deadline is about liveness, not queueing. A decision is abandoned when the store has
   * answered nothing at all for `deadlineMs` and then for a grace of `min(deadlineMs, 25)` ms — a
   * hung or unreachable store costs a request `deadlineMs + 25` ms plus timer slack. A decision
   * queued behind a burst, on a store that keeps answering, waits for its own answer (bounded by
   * the store's command timeout): abandoning it would let the per-instance insurance limiter
   * over-admit exactly when traffic peaks. Answers are counted rather than timed, and judged in
   * `setImmediate` (after the I/O poll has read replies that already arrived), so that this
   * process' own event-loop lag is not mistaken for a slow store.
   */
  private withDeadline<T>(promise: Promise<T>): Promise<T> {
    const { deadlineMs } = this.options;
    const graceMs = Math.min(deadlineMs, 25);
    const sentAt = Date.now();
    let answersSeen = this.answers;
    let silentIntervals = 0;
    return new Promise((resolve, reject) => {
      let settled = false;
      const judge = (): void => {
        if (settled) return;
        if (this.answers > answersSeen) {
          answersSeen = this.answers;
          silentIntervals = 0;
        } else if (++silentIntervals >= 2) {
          settled = true;
          reject(new DeadlineExceeded(Date.now() - sentAt));
          return;
        }
        timer = setTimeout(onTimer, silentIntervals === 0 ? deadlineMs : graceMs);
      };
      const onTimer = (): void => {
        setImmediate(judge);
      };
      let timer = setTimeout(onTimer, deadlineMs);
      promise.then(
        (value) => {
          this.answers++;
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  private async fallback(key: string, tiers: readonly ResolvedTier[], cost: number): Promise<RateLimitDecision> {
    if (this.options.onStoreFailure === 'failClosed') {
      throw new ServiceUnavailableError('Rate limiting is temporarily unavailable: retry shortly.', {
        reason: 'rate_limit_store_unavailable',
        headers: { 'Retry-After': String(Math.ceil(this.probeIntervalMs / 1000)) },
      });
    }
    return { ...(await this.insurance.decide(key, tiers, cost)), degraded: true };
  }

  private degrade(error: Error): void {
    if (this.degradedSince !== undefined) return;
    this.degradedSince = Date.now();
    this.nextProbeAt = this.degradedSince + this.probeIntervalMs;
    const reason = error instanceof DeadlineExceeded ? 'store_timeout' : 'store_error';
    const policy = this.options.onStoreFailure;
    this.logger.warn(
      `The rate-limit store failed (${error.message}): ${policy === 'failOpen' ? 'limiting per instance, in memory' : 'answering 503'} until it answers again.`,
    );
    this.events?.emit({
      type: 'rate_limit.degraded',
      severity: 'high',
      reason,
      details: { onStoreFailure: policy, error: error.message },
    });
  }

  private recover(): void {
    const degradedForMs = Date.now() - (this.degradedSince ?? Date.now());
    this.degradedSince = undefined;
    this.logger.log(`The rate-limit store answers again after ${degradedForMs} ms: limits are shared again.`);
    this.events?.emit({
      type: 'rate_limit.recovered',
      severity: 'info',
      reason: 'store_recovered',
      details: { degradedForMs },
    });
  }
}
