import { Test, type TestingModule } from '@nestjs/testing';
import { RampartCoreModule, SecurityEvents } from '@rampart/core';
import { Redis } from 'ioredis';
import { setImmediate as nextTick, setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { describeWithPrivateRedis, startPrivateRedis, type PrivateRedis } from '../../../../test/utils/private-redis';
import { describeWithRedis, redisUrl, uniqueKeyPrefix } from '../../../../test/utils/redis';
import { AuditModule } from '../audit.module';
import type { AuditModuleOptions } from '../audit.options';
import { AuditService } from '../audit.service';
import { SINK_BATCH } from './sink-queue';

let moduleRef: TestingModule | undefined;
afterEach(async () => {
  await moduleRef?.close();
  moduleRef = undefined;
});

async function boot(redis: NonNullable<AuditModuleOptions['redis']>, queueCapacity?: number) {
  moduleRef = await Test.createTestingModule({
    imports: [
      RampartCoreModule.forRoot({ logEvents: false }),
      AuditModule.forRoot({ redis, memory: false, queueCapacity }),
    ],
  }).compile();
  await moduleRef.init();
  const audit = moduleRef.get(AuditService);
  // The stream's client connects in the background: until then events are dropped, as in an outage.
  for (let i = 0; i < 250 && !(await audit.health()).up; i++) await sleep(20);
  return { events: moduleRef.get(SecurityEvents), audit };
}

let sequence = 0;
function emitRequests(events: SecurityEvents, count: number): string[] {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const requestId = `req-${++sequence}`;
    ids.push(requestId);
    events.emit({ type: 'auth.success', severity: 'info', requestId, principal: { kind: 'user', id: 'u-alice' } });
  }
  return ids;
}

/** How many writes the stream sink made: the count of its stage in the pipeline histogram. */
async function writesOf(audit: AuditService): Promise<number> {
  const histogram = audit.metrics!.registry.getSingleMetric('rampart_audit_pipeline_seconds')!;
  const { values } = await histogram.get();
  // A histogram's values carry their series name (`_bucket`, `_sum`, `_count`).
  const named = values as { metricName?: string; labels: { stage?: unknown }; value: number }[];
  const count = named.find(
    (v) => v.metricName === 'rampart_audit_pipeline_seconds_count' && v.labels.stage === 'sink:redis',
  );
  return count?.value ?? 0;
}

/** Stream ids are `<ms>-<seq>`: compared as numbers, never as text. */
function ascending(ids: readonly string[]): boolean {
  return ids.every((id, i) => {
    if (i === 0) return true;
    const [ms, seq] = id.split('-').map(Number) as [number, number];
    const [prevMs, prevSeq] = ids[i - 1]!.split('-').map(Number) as [number, number];
    return ms > prevMs || (ms === prevMs && seq > prevSeq);
  });
}

describeWithRedis('Redis stream sink: batches', () => {
  const prefix = uniqueKeyPrefix('audit-batches');
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(redisUrl);
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('writes the events of several ticks in one round trip, each its own entry, in the order emitted', async () => {
    const stream = `${prefix}ticks`;
    // A delay longer than the test: after the first write (an event after a quiet spell goes at
    // once), the events of 5 ticks wait for each other, then one flush writes them.
    const { events, audit } = await boot({ url: redisUrl, stream, batchDelayMs: 1_000 });
    const emitted = emitRequests(events, 1);
    await audit.flush();
    expect(await writesOf(audit)).toBe(1);
    for (let tick = 0; tick < 5; tick++) {
      emitted.push(...emitRequests(events, 10));
      await nextTick();
    }
    expect(await writesOf(audit)).toBe(1);
    await audit.flush();
    expect(await writesOf(audit)).toBe(2);
    const entries = await redis.xrange(stream, '-', '+');
    expect(entries.map(([, fields]) => (JSON.parse(fields[1]!) as { requestId: string }).requestId)).toEqual(emitted);
    expect(ascending(entries.map(([id]) => id))).toBe(true);
    // The history API reads them back newest first, the instance stamped.
    const page = await audit.query({ limit: 51 });
    expect(page.events.map((e) => e.requestId)).toEqual([...emitted].reverse());
    expect(page.events.every((e) => e.instance.length > 0)).toBe(true);
  });

  it('sends full batches at once, keeps the order across them, and stays within its bound', async () => {
    const stream = `${prefix}full`;
    const { events, audit } = await boot({ url: redisUrl, stream, maxLength: 300, batchDelayMs: 1_000 });
    const emitted = emitRequests(events, SINK_BATCH * 4 + 13);
    // Full batches go without the delay: wait for them (not the 13 left), without calling flush.
    for (let i = 0; i < 500 && (await writesOf(audit)) < 4; i++) await sleep(10);
    expect(await writesOf(audit)).toBe(4);
    await audit.flush();
    expect(await writesOf(audit)).toBe(5);
    const entries = await redis.xrange(stream, '-', '+');
    // XTRIM MAXLEN ~ after each batch: at least the bound, at most one stream node more.
    expect(entries.length).toBeGreaterThanOrEqual(300);
    expect(entries.length).toBeLessThanOrEqual(300 + 100);
    const kept = entries.map(([, fields]) => (JSON.parse(fields[1]!) as { requestId: string }).requestId);
    expect(kept).toEqual(emitted.slice(-kept.length));
    expect(ascending(entries.map(([id]) => id))).toBe(true);
  });
});

describeWithPrivateRedis('Redis stream sink: a frozen Redis', () => {
  let server: PrivateRedis;
  beforeAll(async () => {
    server = await startPrivateRedis();
  });
  afterAll(async () => {
    await server.stop();
  });

  it('holds at most queueCapacity events, counts every drop, and writes again once Redis answers', async () => {
    const stream = 'audit:frozen';
    const { events, audit } = await boot({ url: server.url, stream, batchDelayMs: 5 }, 1_000);
    emitRequests(events, 5);
    await audit.flush();
    const client = server.client();
    expect(await client.xlen(stream)).toBe(5);

    server.freeze();
    try {
      for (let tick = 0; tick < 100; tick++) {
        emitRequests(events, 500);
        await nextTick();
      }
      // (health() pings the frozen server: it answers down after the command timeout.)
      const frozen = (await audit.health()).sinks.find((s) => s.name === 'redis')!;
      expect(frozen.up).toBe(false);
      expect(frozen.queued).toBeLessThanOrEqual(1_000);
      // 50 000 emitted: at most the queue and one batch in flight are held; the rest was counted.
      expect(frozen.dropped).toBeGreaterThanOrEqual(50_000 - 1_000 - SINK_BATCH);
    } finally {
      server.thaw();
    }

    // A write stuck on the frozen server fails by its command timeout; after it, writes go through.
    const before = await client.xlen(stream);
    await audit.flush();
    const after = emitRequests(events, 3);
    await audit.flush();
    const entries = await client.xrevrange(stream, '+', '-', 'COUNT', 3);
    expect(entries.map(([, fields]) => (JSON.parse(fields[1]!) as { requestId: string }).requestId)).toEqual(
      [...after].reverse(),
    );
    expect(await client.xlen(stream)).toBeGreaterThan(before);

    // Redis restarted or failed over loses its scripts: the next batch loads it again.
    await client.script('FLUSH');
    const reloaded = emitRequests(events, 2);
    await audit.flush();
    const last = await client.xrevrange(stream, '+', '-', 'COUNT', 2);
    expect(last.map(([, fields]) => (JSON.parse(fields[1]!) as { requestId: string }).requestId)).toEqual(
      [...reloaded].reverse(),
    );
    client.disconnect();
  });
});
