import type { AuditEvent } from '../audit-event';
import { matches, type AuditPage, type AuditQuery } from '../history/audit-query';
import type { AuditSink } from './audit-sink';

/**
 * The last `capacity` events of this instance in a ring buffer: fixed memory, O(1) per event.
 * Cursors are sequence numbers: a page continues where the previous one stopped.
 */
export class MemoryAuditSink implements AuditSink {
  readonly name = 'memory';
  private readonly ring: (AuditEvent | undefined)[];
  private next = 0;

  constructor(private readonly capacity: number) {
    this.ring = new Array<AuditEvent | undefined>(capacity);
  }

  write(events: readonly AuditEvent[]): void {
    for (const event of events) {
      this.ring[this.next % this.capacity] = { ...event, id: String(this.next) };
      this.next++;
    }
  }

  /** Newest first. */
  query(query: AuditQuery): AuditPage {
    const events: AuditEvent[] = [];
    const oldest = Math.max(0, this.next - this.capacity);
    let seq = Math.min(this.next, query.cursor === undefined ? this.next : Number(query.cursor)) - 1;
    for (; seq >= oldest && events.length < query.limit; seq--) {
      const event = this.ring[seq % this.capacity];
      if (!event) continue;
      if (query.until !== undefined && Date.parse(event.time) > query.until) continue;
      if (query.since !== undefined && Date.parse(event.time) < query.since) break;
      if (matches(event, query)) events.push(event);
    }
    return { events, ...(seq >= oldest && events.length === query.limit ? { nextCursor: String(seq + 1) } : {}) };
  }
}
