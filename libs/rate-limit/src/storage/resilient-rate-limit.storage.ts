import { Logger } from '@nestjs/common';
import { StoreDeadlineExceededError, StoreLiveness, type SecurityEvents } from '@rampart/core';
import { ServiceUnavailableError } from '@rampart/errors';
import type { ResolvedTier } from '../rate-limit.options';
import type { RateLimitDecision, RateLimitStorage } from './rate-limit.storage';

export interface ResilienceOptions {
  onStoreFailure: 'failOpen' | 'failClosed';
  deadlineMs: number;
  /** While degraded, one request per interval tries the shared store again. @default 1000 */
  probeIntervalMs?: number;
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
  /**
   * The deadline measures the store, not this process' event loop (core's StoreLiveness): a
   * decision queued behind a burst, on a store that keeps answering, waits for its own answer —
   * abandoning it would let the per-instance insurance limiter over-admit exactly when traffic peaks.
   */
  private readonly liveness: StoreLiveness;
  private readonly probeIntervalMs: number;

  constructor(
    private readonly primary: RateLimitStorage,
    private readonly insurance: RateLimitStorage,
    private readonly options: ResilienceOptions,
    private readonly events?: SecurityEvents,
  ) {
    this.probeIntervalMs = options.probeIntervalMs ?? 1000;
    this.liveness = new StoreLiveness(options.deadlineMs);
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
      decision = await this.liveness.watch(this.primary.decide(key, tiers, cost));
    } catch (error) {
      this.degrade(error as Error);
      return this.fallback(key, tiers, cost);
    }
    if (this.degradedSince !== undefined) this.recover();
    return decision;
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
    const reason = error instanceof StoreDeadlineExceededError ? 'store_timeout' : 'store_error';
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
