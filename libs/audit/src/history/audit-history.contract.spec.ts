import type { SecurityEvent, SecurityEventType } from '@rampart/core';
import type { Cluster, Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, expect, it } from 'vitest';
import { describeEachBackend } from '../../../../test/utils/redis';
import type { AuditEvent } from '../audit-event';
import { MemoryAuditSink } from '../sinks/memory.sink';
import { RedisStreamAuditSink } from '../sinks/redis-stream.sink';
import type { AuditPage, AuditQuery } from './audit-query';

/** One instance's view of the event history: the ring buffer, or the Redis stream it appends to. */
interface History {
  append(events: readonly SecurityEvent[]): Promise<void>;
  query(query: AuditQuery): Promise<AuditPage>;
}

/** Histories of one backend: `open(name, bound, instance)` twice with one name = two instances. */
interface HistoryBackend {
  readonly shared: boolean;
  open(name: string, bound: number, instance: string): History;
  /** How far past its bound the history may grow (Redis trims whole stream nodes). */
  slack(): Promise<number>;
}

const memoryHistories = (): HistoryBackend => ({
  shared: false,
  open(_name, bound, instance) {
    const sink = new MemoryAuditSink(bound, instance);
    return {
      append: async (events) => events.forEach((event) => sink.write(event)),
      query: async (query) => sink.query(query),
    };
  },
  slack: async () => 0,
});

const streamHistories = (client: Redis | Cluster, keyPrefix: string): HistoryBackend => ({
  shared: true,
  open(name, bound, instance) {
    const sink = RedisStreamAuditSink.create({ client, stream: `${keyPrefix}${name}`, maxLength: bound });
    return {
      // As the sink queue hands events over: stamped with the instance, in batches.
      append: (events) => sink.write(events.map((event): AuditEvent => ({ ...event, instance }))),
      query: (query) => sink.query(query),
    };
  },
  async slack() {
    // `MAXLEN ~` keeps at least the bound and removes whole radix-tree nodes of this many entries.
    const node = 'nodes' in client ? client.nodes('master')[0]! : client;
    const [, entries] = (await node.config('GET', 'stream-node-max-entries')) as [string, string];
    return Number(entries);
  },
});

let sequence = 0;
function event(type: SecurityEventType, subject: string, clientIp: string): SecurityEvent {
  return {
    time: new Date().toISOString(),
    type,
    severity: 'low',
    outcome: 'failure',
    subject,
    clientIp,
    requestId: `req-${++sequence}`,
  };
}

/** Every event a query matches, following `nextCursor` page by page. */
async function readAll(history: History, query: Omit<AuditQuery, 'limit'>, limit = 7): Promise<AuditEvent[]> {
  const events: AuditEvent[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 1000; page++) {
    const result = await history.query({ ...query, limit, ...(cursor === undefined ? {} : { cursor }) });
    expect(result.events.length).toBeLessThanOrEqual(limit);
    events.push(...result.events);
    if (result.nextCursor === undefined) return events;
    cursor = result.nextCursor;
  }
  throw new Error('the cursor never ended');
}

const requestIds = (events: readonly SecurityEvent[]): (string | undefined)[] => events.map((e) => e.requestId);
const newestFirst = (events: readonly SecurityEvent[]): (string | undefined)[] => requestIds(events).reverse();

// The event history behind GET /admin/audit/events: this instance's ring buffer without Redis, the
// shared stream with Redis (standalone or Cluster: one key, so one slot).
describeEachBackend('Audit history', (backend, keyPrefix) => {
  const client = backend.client();
  afterAll(async () => {
    await client?.quit();
  });
  const histories = client ? streamHistories(client, keyPrefix) : memoryHistories();
  let streams = 0;
  /** A history of its own for each test. */
  const open = (bound = 1000, instance = 'a'): History => histories.open(`audit:${++streams}`, bound, instance);

  it('reads back what was appended, newest first, each event with its id and instance', async () => {
    const history = open();
    const written = Array.from({ length: 5 }, (_, i) => event('auth.failure', `user:u-${i}`, '192.0.2.1'));
    await history.append(written);
    const page = await history.query({ limit: 10 });
    expect(requestIds(page.events)).toEqual(newestFirst(written));
    expect(page.nextCursor).toBeUndefined();
    expect(new Set(page.events.map((e) => e.id)).size).toBe(5);
    for (const e of page.events) expect(e).toMatchObject({ instance: 'a', type: 'auth.failure' });
    expect(page.events[0]).toMatchObject({ subject: 'user:u-4', clientIp: '192.0.2.1', time: written[4]!.time });
  });

  it('filters by type, subject and client IP, alone and together', async () => {
    const history = open();
    const written = Array.from({ length: 60 }, (_, i) =>
      event(i % 3 === 0 ? 'access.denied' : 'auth.failure', `user:u-${i % 4}`, `198.51.100.${i % 5}`),
    );
    await history.append(written);
    const expectQuery = async (query: Omit<AuditQuery, 'limit'>, keep: (e: SecurityEvent) => boolean) => {
      const expected = newestFirst(written.filter(keep));
      expect(expected.length).toBeGreaterThan(0);
      expect(requestIds(await readAll(history, query))).toEqual(expected);
    };
    await expectQuery({ type: 'access.denied' }, (e) => e.type === 'access.denied');
    await expectQuery({ subject: 'user:u-1' }, (e) => e.subject === 'user:u-1');
    await expectQuery({ clientIp: '198.51.100.2' }, (e) => e.clientIp === '198.51.100.2');
    await expectQuery(
      { type: 'auth.failure', subject: 'user:u-2', clientIp: '198.51.100.4' },
      (e) => e.type === 'auth.failure' && e.subject === 'user:u-2' && e.clientIp === '198.51.100.4',
    );
    expect((await history.query({ subject: 'user:nobody', limit: 10 })).events).toEqual([]);
  });

  it('pages with a cursor: every event once, in order, the last page without a cursor', async () => {
    const history = open();
    const written = Array.from({ length: 25 }, (_, i) => event('auth.failure', `user:u-${i}`, '192.0.2.2'));
    await history.append(written);
    const pages: AuditPage[] = [await history.query({ limit: 10 })];
    while (pages.at(-1)!.nextCursor !== undefined) {
      pages.push(await history.query({ limit: 10, cursor: pages.at(-1)!.nextCursor! }));
      expect(pages.length).toBeLessThanOrEqual(4);
    }
    expect(pages.map((p) => p.events.length)).toEqual([10, 10, 5]);
    expect(requestIds(pages.flatMap((p) => p.events))).toEqual(newestFirst(written));
    // Events written after a page was read do not shift the pages that follow it.
    const first = await history.query({ limit: 10 });
    await history.append([event('auth.failure', 'user:late', '192.0.2.2')]);
    const second = await history.query({ limit: 10, cursor: first.nextCursor! });
    expect(requestIds(second.events)).toEqual(newestFirst(written).slice(10, 20));
  });

  it('answers a time range with the events written within it', async () => {
    const history = open();
    // Each batch is made as it is written: its events' times and its stream ids fall between the marks.
    const append = (tag: string) =>
      history.append(Array.from({ length: 4 }, () => event('auth.failure', `user:${tag}`, '192.0.2.3')));
    await append('early');
    await sleep(30);
    const from = Date.now();
    await sleep(30);
    await append('middle');
    await sleep(30);
    const to = Date.now();
    await sleep(30);
    await append('late');
    const subjects = async (query: Omit<AuditQuery, 'limit'>) =>
      [...new Set((await readAll(history, query)).map((e) => e.subject))].sort();
    expect(await subjects({ since: from, until: to })).toEqual(['user:middle']);
    expect(await subjects({ since: from })).toEqual(['user:late', 'user:middle']);
    expect(await subjects({ until: to })).toEqual(['user:early', 'user:middle']);
    expect(await readAll(history, { since: from, until: to })).toHaveLength(4);
  });

  it('stays bounded: 1000 events into a history of 50 keep the newest, and little more', async () => {
    const history = open(50);
    const written = Array.from({ length: 1000 }, (_, i) => event('auth.failure', `user:u-${i}`, '192.0.2.4'));
    for (let i = 0; i < written.length; i += 100) await history.append(written.slice(i, i + 100));
    const kept = await readAll(history, {}, 100);
    expect(kept.length).toBeGreaterThanOrEqual(50);
    expect(kept.length).toBeLessThanOrEqual(50 + (await histories.slack()));
    expect(requestIds(kept)).toEqual(newestFirst(written).slice(0, kept.length));
  });

  if (histories.shared) {
    it('two instances share one history: each reads the events of both, and continues the other’s cursor', async () => {
      const a = open(1000, 'a');
      streams--; // the same stream again, as a second instance
      const b = open(1000, 'b');
      const written: SecurityEvent[] = [];
      for (let i = 0; i < 6; i++) {
        const e = event('auth.failure', `user:u-${i}`, '192.0.2.5');
        written.push(e);
        await (i % 2 === 0 ? a : b).append([e]);
      }
      for (const reader of [a, b]) {
        const page = await reader.query({ limit: 10 });
        expect(requestIds(page.events)).toEqual(newestFirst(written));
        expect(page.events.map((e) => e.instance)).toEqual(['b', 'a', 'b', 'a', 'b', 'a']);
      }
      const first = await a.query({ limit: 4 });
      const rest = await b.query({ limit: 4, cursor: first.nextCursor! });
      expect(requestIds([...first.events, ...rest.events])).toEqual(newestFirst(written));
    });
  } else {
    it('each instance keeps its own history (memory is per instance: use Redis for a shared one)', async () => {
      const a = open(1000, 'a');
      streams--;
      const b = open(1000, 'b');
      await a.append([event('auth.failure', 'user:on-a', '192.0.2.6')]);
      await b.append([event('auth.failure', 'user:on-b', '192.0.2.6')]);
      expect((await a.query({ limit: 10 })).events.map((e) => e.subject)).toEqual(['user:on-a']);
      expect((await b.query({ limit: 10 })).events.map((e) => e.subject)).toEqual(['user:on-b']);
    });
  }
});
