import type { SecurityEvent } from '@rampart/core';
import { setImmediate as nextTick, setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../audit-event';
import type { AuditSink } from './audit-sink';
import { SINK_BATCH, SinkQueue } from './sink-queue';

/** A sink that keeps every batch it is given; `hold` makes each write wait until released. */
class RecordingSink implements AuditSink {
  readonly name = 'recording';
  readonly batches: AuditEvent[][] = [];
  inFlight = 0;
  mostInFlight = 0;
  failNext = false;
  private releases: (() => void)[] = [];

  constructor(private readonly hold = false) {}

  async write(events: readonly AuditEvent[]): Promise<void> {
    this.inFlight++;
    this.mostInFlight = Math.max(this.mostInFlight, this.inFlight);
    try {
      if (this.hold) await new Promise<void>((resolve) => this.releases.push(resolve));
      if (this.failNext) {
        this.failNext = false;
        throw new Error('write refused');
      }
      this.batches.push([...events]);
    } finally {
      this.inFlight--;
    }
  }

  release(): void {
    for (const resolve of this.releases.splice(0)) resolve();
  }

  written(): string[] {
    return this.batches.flat().map((event) => event.requestId!);
  }
}

/** Releases held writes, tick after tick, until `done` (bounded: a queue that stalls fails the test). */
async function drive(sink: RecordingSink, done: () => boolean): Promise<void> {
  for (let i = 0; i < 1_000 && !done(); i++) {
    sink.release();
    await nextTick();
  }
  expect(done()).toBe(true);
}

let sequence = 0;
const event = (): SecurityEvent => ({
  time: new Date().toISOString(),
  type: 'auth.success',
  severity: 'info',
  outcome: 'success',
  requestId: `r-${++sequence}`,
});

function queueOf(sink: AuditSink, { capacity = 10_000, delayMs = 0 } = {}) {
  const drops: number[] = [];
  const queue = new SinkQueue(
    sink,
    'instance-1',
    capacity,
    (_name, count) => drops.push(count),
    () => undefined,
    delayMs,
  );
  return { queue, dropped: () => drops.reduce((sum, n) => sum + n, 0) };
}

describe('SinkQueue', () => {
  it('writes the first tick after a quiet spell at once, then gathers several ticks into one batch, in order, stamped with the instance', async () => {
    const sink = new RecordingSink();
    // A delay far longer than the test: after the first write, only flushed() (or a full batch) writes.
    const { queue } = queueOf(sink, { delayMs: 60_000 });
    const pushed: string[] = [];
    for (let tick = 0; tick < 6; tick++) {
      for (let i = 0; i < 10; i++) {
        const e = event();
        pushed.push(e.requestId!);
        queue.push(e);
      }
      // Nothing written inside push, even with no write for longer than the delay.
      if (tick === 0) expect(sink.inFlight + sink.batches.length).toBe(0);
      await nextTick();
    }
    expect(sink.batches.map((b) => b.length)).toEqual([10]);
    expect(queue.status().queued).toBe(50);
    await queue.flushed();
    expect(sink.batches.map((b) => b.length)).toEqual([10, 50]);
    expect(sink.written()).toEqual(pushed);
    expect(sink.batches.flat().every((e) => e.instance === 'instance-1')).toBe(true);
  });

  it('writes at most once per delay while events keep coming, and at once after a quiet spell', async () => {
    const sink = new RecordingSink();
    const delayMs = 200;
    const { queue } = queueOf(sink, { delayMs });
    const writes = (): number => sink.batches.length;
    // An event every few ms for three delays (far from a full batch): the first write at once,
    // then one per delay at most.
    const started = performance.now();
    queue.push(event());
    await nextTick();
    expect(writes()).toBe(1);
    while (performance.now() - started < delayMs * 3) {
      queue.push(event());
      await sleep(5);
    }
    // Elapsed time is at least three delays: no more than 1 + 3 writes can have started since
    // (an upper bound only: a loaded machine may fire the timers late, never early).
    expect(writes()).toBeLessThanOrEqual(4);
    await queue.flushed();
    // A quiet spell longer than the delay: the next event goes at the end of its tick.
    await sleep(delayMs + 50);
    const before = writes();
    queue.push(event());
    await nextTick();
    expect(writes()).toBe(before + 1);
  });

  it('sends a full batch without waiting for the delay, never on the pushing call, one write at a time', async () => {
    const sink = new RecordingSink(true);
    const { queue } = queueOf(sink, { delayMs: 60_000 });
    const pushed: string[] = [];
    for (let i = 0; i < SINK_BATCH * 3 + 7; i++) {
      const e = event();
      pushed.push(e.requestId!);
      queue.push(e);
    }
    // Nothing written inside push: the request that filled the batch does not pay for the write.
    expect(sink.inFlight).toBe(0);
    await nextTick();
    expect(sink.inFlight).toBe(1);
    await drive(sink, () => sink.batches.length === 3);
    // Three full batches went without the delay; the last 7 wait for it (or a flush).
    await nextTick();
    expect(sink.inFlight).toBe(0);
    expect(queue.status().queued).toBe(7);
    const flushed = queue.flushed();
    await drive(sink, () => sink.batches.length === 4);
    await flushed;
    expect(sink.batches.map((b) => b.length)).toEqual([SINK_BATCH, SINK_BATCH, SINK_BATCH, 7]);
    expect(sink.written()).toEqual(pushed);
    expect(sink.mostInFlight).toBe(1);
  });

  it('holds at most its capacity behind a sink that never answers, and counts every event it drops', async () => {
    const sink = new RecordingSink(true); // a frozen Redis: the write never completes
    const { queue, dropped } = queueOf(sink, { capacity: 1_000, delayMs: 5 });
    for (let tick = 0; tick < 100; tick++) {
      for (let i = 0; i < 500; i++) queue.push(event());
      await nextTick();
      expect(queue.status().queued).toBeLessThanOrEqual(1_000);
    }
    // 50 000 pushed: one batch is in the stuck write, the queue is full, the rest is counted.
    const status = queue.status();
    expect(status.queued).toBe(1_000);
    expect(status.dropped).toBe(50_000 - 1_000 - SINK_BATCH);
    expect(dropped()).toBe(status.dropped);
    // The sink comes back: what was held is written, in order, and nothing more is lost.
    const flushed = queue.flushed();
    await drive(sink, () => queue.status().queued + sink.inFlight === 0);
    await flushed;
    expect(sink.batches.flat()).toHaveLength(1_000 + SINK_BATCH);
    const numbers = sink.written().map((id) => Number(id.slice(2)));
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
    expect(queue.status().dropped).toBe(status.dropped);
  });

  it('drops and counts a batch whose write fails, then writes the next one', async () => {
    const sink = new RecordingSink();
    const { queue, dropped } = queueOf(sink);
    sink.failNext = true;
    for (let i = 0; i < 3; i++) queue.push(event());
    await queue.flushed();
    expect(queue.status()).toMatchObject({ dropped: 3, failures: 1, lastError: 'write refused' });
    expect(dropped()).toBe(3);
    const next = event();
    queue.push(next);
    await queue.flushed();
    expect(sink.written()).toEqual([next.requestId]);
    expect(queue.status().lastError).toBeUndefined();
  });
});
