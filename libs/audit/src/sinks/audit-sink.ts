import type { AuditEvent } from '../audit-event';

/** Where recorded events go. `write` may be slow or fail: the pipeline never waits for it. @publicApi */
export interface AuditSink {
  readonly name: string;
  write(events: readonly AuditEvent[]): void | Promise<void>;
  /** Rejects when the sink cannot take events now (for the health indicator). */
  check?(): Promise<void>;
  close?(): Promise<void>;
}

/** A sink's state, for metrics and health. */
export interface SinkStatus {
  readonly name: string;
  readonly queued: number;
  readonly dropped: number;
  readonly failures: number;
  readonly lastError: string | undefined;
}
