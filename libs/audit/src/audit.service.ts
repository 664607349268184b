import { Inject, Injectable, Logger, Optional, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { RAMPART_STORE, SecurityEvents, type SecurityEvent, type Store } from '@rampart/core';
import { ServiceUnavailableError } from '@rampart/errors';
import type { Server } from 'node:http';
import { AlertEngine } from './alerts/alert-engine';
import { AUDIT_OPTIONS } from './audit.constants';
import type { ResolvedAuditOptions } from './audit.options';
import type { AuditPage, AuditQuery } from './history/audit-query';
import { AuditMetrics } from './metrics/audit-metrics';
import { startMetricsServer } from './metrics/metrics-server';
import type { SinkStatus } from './sinks/audit-sink';
import { LoggerAuditSink } from './sinks/logger.sink';
import { MemoryAuditSink } from './sinks/memory.sink';
import { OpenTelemetryBridge } from './sinks/open-telemetry';
import { RedisStreamAuditSink } from './sinks/redis-stream.sink';
import { SinkQueue } from './sinks/sink-queue';

const STORE_PROBE_MS = 10_000;
/** The dispatch is timed for one event in this many: timing each would cost as much as the dispatch. */
const DISPATCH_SAMPLE = 16;

/** The health of the audit trail: core's Store and every sink. @publicApi */
export interface AuditHealth {
  readonly up: boolean;
  readonly store: { readonly up: boolean; readonly error?: string };
  readonly sinks: readonly (SinkStatus & { readonly up: boolean })[];
}

/**
 * The audit pipeline: listens to core's {@link SecurityEvents}, adds the trace id and the instance,
 * counts metrics, keeps the in-memory history, and hands each event to the queued sinks (Redis
 * stream, log, alerts) — all without waiting: the request never pays for a sink.
 * @publicApi
 */
@Injectable()
export class AuditService implements OnModuleInit, OnApplicationShutdown {
  /** The metrics, unless `metrics: false`. */
  readonly metrics: AuditMetrics | undefined;
  private readonly logger = new Logger('RampartAudit');
  private readonly memory: MemoryAuditSink | undefined;
  private readonly redis: RedisStreamAuditSink | undefined;
  private readonly queues: SinkQueue[] = [];
  private readonly alertQueue: SinkQueue | undefined;
  private readonly alerts: AlertEngine | undefined;
  private readonly otel: OpenTelemetryBridge | undefined;
  private unsubscribe: (() => void) | undefined;
  private probe: NodeJS.Timeout | undefined;
  private metricsServer: Server | undefined;
  private storeError: string | undefined;
  private dispatched = 0;

  constructor(
    @Inject(AUDIT_OPTIONS) private readonly options: ResolvedAuditOptions,
    private readonly events: SecurityEvents,
    @Optional() @Inject(RAMPART_STORE) private readonly store?: Store,
  ) {
    const m = options.metrics;
    this.metrics = m ? new AuditMetrics(m.prefix, m.registry, m.token, m.defaultMetrics) : undefined;
    this.memory = options.memory ? new MemoryAuditSink(options.memory.capacity, options.instance) : undefined;
    this.otel = options.openTelemetry ? new OpenTelemetryBridge() : undefined;
    const queue = (sink: ConstructorParameters<typeof SinkQueue>[0], delayMs = 0): SinkQueue =>
      new SinkQueue(
        sink,
        options.instance,
        options.queueCapacity,
        (name, count) => this.metrics?.droppedEvents(name, count),
        (name, seconds) => this.metrics?.observe(`sink:${name}`, seconds),
        delayMs,
      );
    if (options.redis) {
      this.redis = RedisStreamAuditSink.create(options.redis);
      this.queues.push(queue(this.redis, options.redis.batchDelayMs));
    }
    if (options.log) this.queues.push(queue(new LoggerAuditSink(options.log.logger, options.log.types)));
    if (options.alerts.rules.length > 0) {
      if (!store) {
        this.logger.warn('Alert rules need RampartCoreModule (its Store): alerts are off.');
      } else {
        const { rules, handlers, checkIntervalMs } = options.alerts;
        this.alerts = new AlertEngine(store, rules, handlers, options.keyPrefix, checkIntervalMs, (notice) =>
          this.metrics?.alert(notice.rule, notice.status),
        );
        this.alertQueue = queue(this.alerts);
      }
    }
  }

  async onModuleInit(): Promise<void> {
    // One redactor: the one configured here is the one every event passes, before any listener.
    this.events.setRedactor(this.options.redactor);
    if (this.options.log) this.events.setLogging(false);
    this.unsubscribe = this.events.subscribe((event) => this.record(event), [...this.options.types]);
    this.alerts?.start();
    if (this.store) {
      void this.probeStore();
      this.probe = setInterval(() => void this.probeStore(), STORE_PROBE_MS);
      this.probe.unref();
    }
    const m = this.options.metrics;
    if (m && m.port !== undefined && this.metrics) {
      this.metricsServer = await startMetricsServer(this.metrics, { port: m.port, host: m.host, token: m.token });
      this.logger.log(`Metrics served on http://${m.host}:${m.port}/metrics${m.token ? ' (bearer token)' : ''}`);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.unsubscribe?.();
    clearInterval(this.probe);
    await this.flush();
    await this.alerts?.close();
    for (const { sink } of this.queues) await sink.close?.();
    await new Promise((resolve) => (this.metricsServer ? this.metricsServer.close(resolve) : resolve(undefined)));
  }

  /** Events of the shared history (Redis stream) or, without Redis, of this instance's ring buffer. */
  async query(query: AuditQuery): Promise<AuditPage> {
    if (this.redis) {
      try {
        return await this.redis.query(query);
      } catch (error) {
        throw new ServiceUnavailableError('The event history is unavailable: retry later.', { cause: error });
      }
    }
    if (this.memory) return this.memory.query(query);
    throw new ServiceUnavailableError('No event history is configured (AuditModule memory or redis).');
  }

  /** Resolves when every event recorded so far has been written (or dropped). */
  async flush(): Promise<void> {
    await Promise.all([...this.queues, ...(this.alertQueue ? [this.alertQueue] : [])].map((q) => q.flushed()));
  }

  /** Runs the alert rules' recovery check now (it also runs every `alerts.checkIntervalMs`). */
  checkAlerts(): Promise<void> {
    return this.alerts?.checkRecoveries() ?? Promise.resolve();
  }

  /** The store and every sink, probed now. */
  async health(): Promise<AuditHealth> {
    await this.probeStore();
    const sinks = await Promise.all(
      [...this.queues, ...(this.alertQueue ? [this.alertQueue] : [])].map(async (queue) => {
        const status = queue.status();
        let up = status.lastError === undefined;
        if (queue.sink.check)
          up = await queue.sink.check().then(
            () => up,
            () => false,
          );
        return { ...status, up };
      }),
    );
    const storeUp = this.storeError === undefined;
    return {
      up: storeUp && sinks.every((sink) => sink.up),
      store: { up: storeUp, ...(this.storeError === undefined ? {} : { error: this.storeError }) },
      sinks,
    };
  }

  private record(event: SecurityEvent): void {
    // On the request path: no copy unless a trace id is added; one in DISPATCH_SAMPLE is timed.
    const timed = this.metrics !== undefined && ++this.dispatched % DISPATCH_SAMPLE === 0;
    const started = timed ? performance.now() : 0;
    const traceId = this.otel?.available ? this.otel.record(event) : undefined;
    const recorded: SecurityEvent = traceId === undefined ? event : Object.freeze({ ...event, traceId });
    this.metrics?.record(recorded);
    this.memory?.write(recorded);
    for (const queue of this.queues) queue.push(recorded);
    if (this.alertQueue && this.alerts?.wants(recorded)) this.alertQueue.push(recorded);
    if (timed) this.metrics.observe('dispatch', (performance.now() - started) / 1000);
  }

  private async probeStore(): Promise<void> {
    if (!this.store) return;
    try {
      await this.store.ping();
      this.storeError = undefined;
    } catch (error) {
      this.storeError = (error as Error).message;
    }
    this.metrics?.storeHealth(this.storeError === undefined);
  }
}
