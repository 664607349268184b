import type { SecurityEvent } from '@rampart/core';
import type { AuditEvent } from '../audit-event';
import { matches, type AuditPage, type AuditQuery } from '../history/audit-query';

/**
 * The last `capacity` events of this instance in a ring buffer: fixed memory, O(1) per event.
 * Cursors are sequence numbers: a page continues where the previous one stopped.
 */
export class MemoryAuditSink {
  private readonly ring: (SecurityEvent | undefined)[];
  private next = 0;

  constructor(
    private readonly capacity: number,
    private readonly instance: string,
  ) {
    this.ring = new Array<SecurityEvent | undefined>(capacity);
  }

  /** O(1), no copy: on the request path. */
  write(event: SecurityEvent): void {
    this.ring[this.next % this.capacity] = event;
    this.next++;
  }

  /** Newest first. */
  query(query: AuditQuery): AuditPage {
    const events: AuditEvent[] = [];
    const oldest = Math.max(0, this.next - this.capacity);
    let seq = Math.min(this.next, query.cursor === undefined ? this.next : Number(query.cursor)) - 1;
    for (; seq >= oldest && events.length < query.limit; seq--) {
      const stored = this.ring[seq % this.capacity];
      if (!stored) continue;
      const event: AuditEvent = { ...stored, instance: this.instance, id: String(seq) };
      if (query.until !== undefined && Date.parse(event.time) > query.until) continue;
      if (query.since !== undefined && Date.parse(event.time) < query.since) break;
      if (matches(event, query)) events.push(event);
    }
    return { events, ...(seq >= oldest && events.length === query.limit ? { nextCursor: String(seq + 1) } : {}) };
  }
}
