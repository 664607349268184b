import type { SecurityEvent } from '@rampart/core';
import type { AuditSink, SinkStatus } from './audit-sink';

const BATCH = 200;

/**
 * The bounded buffer in front of one sink: `push` never blocks and never throws. A full queue
 * drops the event and counts it (a dead sink costs bounded memory, never a slower request); a
 * failed write drops its batch, is counted, and the next batch is tried.
 */
export class SinkQueue {
  private readonly queue: SecurityEvent[] = [];
  private draining = false;
  private dropped = 0;
  private failures = 0;
  private lastError: string | undefined;
  private idle: Promise<void> = Promise.resolve();

  constructor(
    readonly sink: AuditSink,
    private readonly instance: string,
    private readonly capacity: number,
    private readonly onDrop: (sink: string, count: number) => void,
    private readonly onWrite: (sink: string, seconds: number) => void,
  ) {}

  push(event: SecurityEvent): void {
    if (this.queue.length >= this.capacity) {
      this.dropped++;
      this.onDrop(this.sink.name, 1);
      return;
    }
    this.queue.push(event);
    if (!this.draining) {
      this.draining = true;
      // After the current request's work: writing is never on its path.
      this.idle = new Promise((resolve) => setImmediate(() => void this.drain().finally(resolve)));
    }
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

  /** Resolves when what is queued now has been written or dropped. */
  async flushed(): Promise<void> {
    while (this.draining) await this.idle;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, BATCH);
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
    } finally {
      this.draining = false;
    }
  }
}
