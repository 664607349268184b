import { RedisStore } from './libs/core/src/index';
import { StoreRateLimitStorage } from './libs/rate-limit/src/index';
const tier = (name: string, limit: number, windowMs: number, algorithm: any) => ({ name, limit, windowMs, algorithm, blockForMs: 0 });
async function measure(wait: boolean) {
  const store = await RedisStore.create({ cluster: { nodes: [{ host: '127.0.0.1', port: 7100 }] }, keyPrefix: `probe-${Date.now()}:`, commandTimeoutMs: 10000, ...(wait ? { waitForReplicas: { replicas: 1, timeoutMs: 100 } } : {}) });
  const rl = new StoreRateLimitStorage(store);
  const tiers = [tier('m', 1e6, 60000, 'sliding-window'), tier('h', 1e7, 3600000, 'sliding-window'), tier('d', 1e8, 86400000, 'sliding-window')];
  const lat: number[] = [];
  for (let i = 0; i < 2000; i++) { const t = process.hrtime.bigint(); await rl.decide(`k${i % 50}`, tiers as any, 1); lat.push(Number(process.hrtime.bigint() - t) / 1e6); }
  lat.sort((a, b) => a - b);
  let failed = 0;
  const t0 = Date.now(); await Promise.all(Array.from({ length: 2000 }, (_, i) => rl.decide(`k${i % 50}`, tiers as any, 1).catch(() => failed++))); const conc = 2000 / ((Date.now() - t0) / 1000);
  console.log(wait ? 'WAIT 1 100' : 'no WAIT', 'sequential p50', lat[1000]!.toFixed(2), 'p99', lat[1980]!.toFixed(2), 'ms; 2000 concurrent:', conc.toFixed(0), 'decisions/s, failed', failed);
  await store.close();
}
(async () => { for (const w of [false, true, false, true]) await measure(w); })();
