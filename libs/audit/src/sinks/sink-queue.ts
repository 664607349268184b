import type { SecurityEvent } from '@rampart/core';
import type { AuditSink, SinkStatus } from './audit-sink';

/** Events handed to one `write` at most. */
export const SINK_BATCH = 200;

/**
 * The bounded buffer in front of one sink: `push` never blocks and never throws. A full queue
 * drops the event and counts it (a dead sink costs bounded memory, never a slower request); a
 * failed write drops its batch, is counted, and the next batch is tried.
 *
 * Events are written in batches, one write in flight at a time, and at most one write every
 * `delayMs`: an event after a quiet spell goes at the end of its tick, the next ones wait until
 * `delayMs` after that write started, a full batch goes at once. A sink with a round trip per
 * write (the Redis stream) then pays one per batch, and a busy instance sends few, large batches
 * (each round trip costs both processes far more CPU than an event in it) while a quiet one adds
 * no lag.
 */
export class SinkQueue {
  private readonly queue: SecurityEvent[] = [];
  private cancelWait: (() => void) | undefined;
  private waitingForTick = false;
  private writing: Promise<void> | undefined;
  private lastWrite = Number.NEGATIVE_INFINITY;
  private dropped = 0;
  private failures = 0;
  private lastError: string | undefined;

  constructor(
    readonly sink: AuditSink,
    private readonly instance: string,
    private readonly capacity: number,
    private readonly onDrop: (sink: string, count: number) => void,
    private readonly onWrite: (sink: string, seconds: number) => void,
    private readonly delayMs = 0,
  ) {}

  push(event: SecurityEvent): void {
    if (this.queue.length >= this.capacity) {
      this.dropped++;
      this.onDrop(this.sink.name, 1);
      return;
    }
    this.queue.push(event);
    this.schedule(this.queue.length >= SINK_BATCH);
  }

  status(): SinkStatus {
    return {
      name: this.sink.name,
      queued: this.queue.length,
      dropped: this.dropped,
      failures: this.failures,
      lastError: this.lastError,
    };
  }

  /** Resolves when what is queued now has been written or dropped (without waiting for the delay). */
  async flushed(): Promise<void> {
    while (this.queue.length > 0 || this.writing) {
      this.writeNext();
      await this.writing;
    }
  }

  /**
   * Writes once the delay since the last write has passed (`full`: at once), at the end of this
   * tick at the soonest, unless a write is under way (it schedules the next) or a write is already
   * due as soon.
   */
  private schedule(full: boolean): void {
    if (this.writing || (this.cancelWait && (this.waitingForTick || !full))) return;
    this.cancelWait?.();
    const wait = full ? 0 : this.lastWrite + this.delayMs - performance.now();
    // After the current request's work at the least: writing is never on its path.
    this.waitingForTick = wait <= 0;
    if (this.waitingForTick) {
      const immediate = setImmediate(() => this.writeNext());
      this.cancelWait = () => clearImmediate(immediate);
    } else {
      const timer = setTimeout(() => this.writeNext(), wait);
      this.cancelWait = () => clearTimeout(timer);
    }
  }

  private writeNext(): void {
    this.cancelWait?.();
    this.cancelWait = undefined;
    if (this.writing || this.queue.length === 0) return;
    this.lastWrite = performance.now();
    this.writing = this.write(this.queue.splice(0, SINK_BATCH)).finally(() => {
      this.writing = undefined;
      if (this.queue.length > 0) this.schedule(this.queue.length >= SINK_BATCH);
    });
  }

  private async write(batch: SecurityEvent[]): Promise<void> {
    const started = performance.now();
    try {
      // The instance is added here, off the request path.
      await this.sink.write(batch.map((event) => ({ ...event, instance: this.instance })));
      this.lastError = undefined;
    } catch (error) {
      this.failures++;
      this.dropped += batch.length;
      this.lastError = (error as Error).message;
      this.onDrop(this.sink.name, batch.length);
    }
    this.onWrite(this.sink.name, (performance.now() - started) / 1000);
  }
}
