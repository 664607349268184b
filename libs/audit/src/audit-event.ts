import type { SecurityEvent } from '@rampart/core';

/**
 * A security event as the audit trail keeps it: core's one event shape (see
 * `schema/audit-event.schema.json`), plus where it was recorded.
 * @publicApi
 */
export interface AuditEvent extends SecurityEvent {
  /** The instance that recorded it (`hostname:pid` unless configured). */
  readonly instance: string;
  /** Position in the history it was read from (Redis stream id, or the ring buffer's sequence). */
  readonly id?: string;
}
