// Memory soak: 1 M distinct client keys through the in-memory store (rate-limit decisions with
// three tiers) and the threat module's per-client tables (behaviour observations, ban lookups),
// printing RSS and heap as it goes. Both are keyed by client input, so both must stay bounded.
// Run: node --expose-gc -r @swc-node/register scripts/memory-soak.ts [clients]
import 'reflect-metadata';
import { MemoryStore, SecurityEvents } from '@rampart/core';
import { StoreRateLimitStorage } from '@rampart/rate-limit';
import { ThreatService } from '@rampart/threat';
import { resolveThreatOptions } from '../libs/threat/src/threat.options';

const CLIENTS = Number(process.argv[2] ?? 1_000_000);
const tier = (name: string, limit: number, windowMs: number) =>
  Object.freeze({ name, limit, windowMs, blockForMs: 0, algorithm: 'sliding-window' as const });
const TIERS = [tier('minute', 100, 60_000), tier('hour', 1_000, 3_600_000), tier('day', 10_000, 86_400_000)];

function ip(i: number): string {
  return `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
}

function sample(label: string, clients: number): void {
  (globalThis as { gc?: () => void }).gc?.();
  const { rss, heapUsed } = process.memoryUsage();
  console.log(
    `| ${label} | ${clients.toLocaleString('en')} | ${(rss / 2 ** 20).toFixed(0)} | ${(heapUsed / 2 ** 20).toFixed(0)} |`,
  );
}

async function main(): Promise<void> {
  // The rate limiter's and the threat module's default stores: bounded at 100 000 keys each.
  const limiter = new StoreRateLimitStorage(new MemoryStore());
  const threatStore = new MemoryStore();
  const threat = new ThreatService(resolveThreatOptions({ mode: 'monitor' }), threatStore, new SecurityEvents());
  console.log('| phase | distinct clients | RSS (MiB) | heap used (MiB) |');
  console.log('|---|---:|---:|---:|');
  sample('start', 0);
  for (let i = 1; i <= CLIENTS; i++) {
    const client = ip(i);
    await limiter.decide(`default|ip:${client}`, TIERS, 1);
    await threat.observe(client, 'GET /items/:id', 200);
    await threat.lookupBan(client);
    if (i % (CLIENTS / 10) === 0) sample('after', i);
  }
  console.log(`threat store keys: ${threatStore.size}`);
}

void main();
