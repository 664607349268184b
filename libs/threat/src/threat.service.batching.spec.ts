import { RedisStore, SecurityEvents, type Store } from '@rampart/core';
import { Redis } from 'ioredis';
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { describeEachBackend } from '../../../test/utils/redis';
import { ThreatService } from './threat.service';
import { resolveThreatOptions, type ThreatModuleOptions } from './threat.options';

const service = (store: Store, options: ThreatModuleOptions = {}): ThreatService =>
  new ThreatService(
    resolveThreatOptions({ keyPrefix: `batch-${Date.now()}:`, ...options }),
    store,
    new SecurityEvents(),
  );

/** Behaviour observations aggregated per client: one store script per client per flush, on every backend. */
describeEachBackend('ThreatService observation batching', (backend, keyPrefix) => {
  let store: Store;
  beforeAll(async () => {
    store = await backend.store(keyPrefix);
  });
  afterAll(() => store.close());

  it('sends a client’s responses of one interval as one script, and the signals count every one', async () => {
    const threat = service(store, {
      mode: 'monitor',
      behaviour: { requestRate: { limit: 50 }, errorRate: { minRequests: 10 } },
      store: { observationFlushMs: 50 },
    });
    const run = vi.spyOn(store, 'run');
    for (let i = 0; i < 80; i++) threat.observeInBackground('198.51.100.90', `GET /x${i % 4}`, i < 60 ? 500 : 200);
    // Held, not sent: the interval has not passed.
    expect(run).not.toHaveBeenCalled();
    await expect.poll(() => run.mock.calls.length, { timeout: 5_000 }).toBe(1);
    await threat.flushObservations();
    run.mockRestore();
    // 80 + this one: over the rate limit; 60 errors of 81; 4 distinct endpoints, then a fifth.
    const signals = await threat.observe('198.51.100.90', 'GET /y', 200);
    expect(signals.find((s) => s.reason === 'request_rate')?.value).toBe(81);
    expect(signals.find((s) => s.reason === 'error_rate')?.value).toBe(0.74);
    const scanning = await service(store, {
      keyPrefix: threat.options.keyPrefix,
      mode: 'monitor',
      behaviour: { scanning: { limit: 4 } },
    }).observe('198.51.100.90', 'GET /z', 200);
    expect(scanning.find((s) => s.reason === 'scanning')?.value).toBe(6);
  });

  it('sends a full batch at once, one script per client, without waiting for the interval', async () => {
    const threat = service(store, { store: { observationFlushMs: 10_000, observationBatchSize: 10 } });
    const run = vi.spyOn(store, 'run');
    for (let i = 0; i < 9; i++) threat.observeInBackground(`198.51.100.${100 + i}`, 'GET /a', 200);
    threat.observeInBackground('198.51.100.100', 'GET /b', 200); // a client already held
    expect(run).not.toHaveBeenCalled();
    threat.observeInBackground('198.51.100.109', 'GET /a', 200);
    expect(run).toHaveBeenCalledTimes(10);
    await threat.flushObservations();
    run.mockRestore();
    expect(threat.observationsInFlight).toBe(0);
  });

  it('counts every distinct endpoint of one flush: a fast scanner is seen whole', async () => {
    const threat = service(store, {
      mode: 'monitor',
      behaviour: { scanning: { limit: 50 } },
      store: { observationFlushMs: 10_000 },
    });
    for (let i = 0; i < 60; i++) threat.observeInBackground('198.51.100.92', `GET /probe-${i}`, 404);
    await threat.flushObservations();
    const signals = await threat.observe('198.51.100.92', 'GET /probe-60', 404);
    // 61 distinct (a HyperLogLog on Redis: an estimate, well over the limit either way).
    expect(signals.find((s) => s.reason === 'scanning')?.value).toBeGreaterThan(55);
  });

  it('in block mode blocks a client whose batched responses cross the threshold', async () => {
    const threat = service(store, {
      mode: 'block',
      behaviour: { requestRate: { limit: 20, score: 80 } },
      store: { observationFlushMs: 20 },
    });
    for (let i = 0; i < 30; i++) threat.observeInBackground('198.51.100.91', 'GET /items', 200);
    await expect.poll(() => threat.getBan('198.51.100.91'), { timeout: 5_000 }).toMatchObject({ kind: 'block' });
  });
});

it('holds at most observationBatchSize clients and maxPendingObservations scripts under 1 M distinct clients', async () => {
  // A store that never answers (a hung Redis): every flush stays in flight until the command timeout.
  const silent = createServer(() => undefined);
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const { port } = silent.address() as AddressInfo;
  // No ready check: the client sends commands the server never answers.
  const client = new Redis({ port, enableReadyCheck: false, maxRetriesPerRequest: 0 });
  const store = new RedisStore(client, false, 'batch:', undefined, 60_000);
  try {
    const threat = service(store, { store: { observationBatchSize: 1_000, maxPendingObservations: 2_000 } });
    for (let i = 0; i < 1_000_000; i++) {
      threat.observeInBackground(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, 'GET /a', 200);
    }
    // Two batches in flight (the cap), every other full batch dropped and counted; nothing else held.
    expect(threat.observationsInFlight).toBe(2_000);
    expect(threat.observationsDropped).toBe(1_000_000 - 2_000);
  } finally {
    client.disconnect();
    silent.close();
  }
});

it('drops a batch the store refuses: no rejection escapes, nothing stays in flight, the outage is logged once', async () => {
  // A port nobody listens on: Redis is down.
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const { port } = closed.address() as AddressInfo;
  await new Promise((resolve) => closed.close(resolve));
  const store = await RedisStore.create({ url: `redis://127.0.0.1:${port}`, connectTimeoutMs: 200 });
  const threat = service(store, { store: { observationFlushMs: 10 } });
  const warn = vi.spyOn(threat['logger'], 'warn').mockImplementation(() => undefined);
  try {
    for (let i = 0; i < 5_000; i++) threat.observeInBackground(`198.51.100.${i % 200}`, 'GET /a', 500);
    await threat.flushObservations();
    expect(threat.observationsInFlight).toBe(0);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]?.[0])).toContain('Threat store unavailable');
  } finally {
    await store.close();
  }
});
