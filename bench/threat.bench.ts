// Cost of @rampart/threat. Part 1, in process: inspectRequest on a typical request (1 kB JSON body,
// 10 query parameters, browser headers) — p50/p99 — and its growth with input size. Part 2, over
// HTTP: the same route and request with the threat module off and on.
// Run: flock /tmp/bench.lock node bench/run.mjs bench/threat.bench.ts
import { Body, Controller, HttpCode, Module, Post, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { RampartCoreModule, useRequestContext } from '@rampart/core';
import { ErrorsModule } from '@rampart/errors';
import { inspectRequest, ThreatModule, useThreatDetection, type InspectableRequest } from '@rampart/threat';
import { compare, printTable, type BenchCases } from './utils/harness';

const HEADERS = {
  'user-agent':
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  referer: 'https://app.example.com/orders?tab=open&sort=desc',
  cookie: '_ga=GA1.2.1234567890.1700000000; theme=dark; consent=%7B%22ads%22%3Afalse%7D',
  accept: 'application/json',
  'accept-language': 'en-GB,en;q=0.9',
  'content-type': 'application/json',
};
const QUERY =
  'page=2&limit=20&sort=-createdAt&status=open&q=blue%20running%20shoes&currency=EUR&lang=en-GB&tz=Europe%2FBerlin&include=items&utm_source=newsletter';

const FIRST = ['Siobhan', 'Aoife', 'Liam', 'Seán', 'Máire', 'Conor', 'Niamh', 'Darragh'];
const LAST = ["O'Connor", 'Byrne', "O'Brien", 'Walsh', 'Ní Bhriain', 'McCarthy', "D'Arcy", 'Kelly'];

/**
 * A realistic 1 kB order: names with apostrophes, prices, an address, free text. `n` varies the
 * names, notes, ids and amounts, as real traffic does: memoised verdicts then help only where
 * real traffic repeats itself (keys, enum values, headers).
 */
function typicalBody(n = 0): Record<string, unknown> {
  const name = `${FIRST[n % FIRST.length] ?? ''} ${LAST[(n >> 3) % LAST.length] ?? ''}`;
  return {
    customer: {
      id: `c_${(n * 7919 + 100_000).toString(36)}`,
      name,
      email: `customer${n}@example.com`,
      phone: `+353 1 ${String(2_000_000 + n).slice(0, 3)} ${String(1000 + (n % 9000))}`,
    },
    shipping: {
      line1: `${n % 200} Grafton Street`,
      line2: 'Apt. 4B',
      city: 'Dublin',
      postcode: 'D02 XY45',
      country: 'IE',
    },
    items: [
      { sku: 'RUN-2024.v2', name: 'Trail runner, blue', qty: 1 + (n % 3), price: 89.99 },
      { sku: 'SOCK-3PK', name: 'Socks (3 pack)', qty: 2, price: 12.5 },
      { sku: 'CAP-01', name: "Runner's cap", qty: 1, price: 19 },
    ],
    coupon: `SPRING-$${n % 20}`,
    note: `Please leave the parcel with the neighbour at no. ${n % 97} if I am out; thanks! Delivery after ${n % 12}pm is best.`,
    gift: { wrap: true, message: `Happy birthday, ${name}! Select whichever colour you like -- love, S. (#${n})` },
    consent: { marketing: false, terms: true },
    source: 'web',
    clientTime: new Date(1_715_000_000_000 + n * 1000).toISOString(),
    tags: ['birthday', 'express-shipping', 'returning-customer'],
    device: { os: 'iOS 17.4', app: 'shop/5.2.1 (build 812)', locale: 'en-IE', screen: '1170x2532' },
    payment: { method: 'card', brand: 'visa', last4: String(1000 + (n % 9000)), currency: 'EUR', total: 133.99 + n },
  };
}

const typical: InspectableRequest = { method: 'POST', path: `/orders?${QUERY}`, headers: HEADERS, body: typicalBody() };

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

function microBenchmark(): void {
  const bodyBytes = JSON.stringify(typical.body).length;
  // 50 000 distinct requests, each with its own names, notes, amounts and search terms, built
  // one at a time outside the timed section (holding them all would make the heap, and GC, huge).
  const requestNumber = (n: number): InspectableRequest => ({
    ...typical,
    path: `/orders?${QUERY.replace('running%20shoes', `running%20shoes%20size%20${n % 50}`)}&cursor=${n}`,
    body: typicalBody(n),
  });
  for (let i = 0; i < 20_000; i++) inspectRequest(requestNumber(100_000 + i)); // JIT warm-up
  const samples: number[] = [];
  for (let n = 0; n < 50_000; n++) {
    const request = requestNumber(n);
    const started = process.hrtime.bigint();
    inspectRequest(request);
    samples.push(Number(process.hrtime.bigint() - started) / 1000);
  }
  samples.sort((a, b) => a - b);
  console.log(
    `\n### inspectRequest, typical request (~${bodyBytes} B JSON body, 10 query params, browser headers; 50 000 distinct requests)\n`,
  );
  console.log('| p50 (µs) | p90 (µs) | p99 (µs) | p99.9 (µs) |');
  console.log('|---:|---:|---:|---:|');
  console.log(`| ${[0.5, 0.9, 0.99, 0.999].map((p) => percentile(samples, p).toFixed(1)).join(' | ')} |`);

  console.log('\n### inspectRequest, growth with body size (the typical body repeated in an array)\n');
  console.log('| body (kB) | mean (µs) | µs per kB |');
  console.log('|---:|---:|---:|');
  for (const copies of [1, 2, 4, 8, 16, 32, 64]) {
    const body = { orders: Array.from({ length: copies }, (_, n) => typicalBody(n)) };
    const request = { ...typical, body };
    const kb = JSON.stringify(body).length / 1024;
    for (let i = 0; i < 200; i++) inspectRequest(request);
    const rounds = Math.max(50, Math.round(20_000 / copies));
    const started = process.hrtime.bigint();
    for (let i = 0; i < rounds; i++) inspectRequest(request);
    const mean = Number(process.hrtime.bigint() - started) / 1000 / rounds;
    console.log(`| ${kb.toFixed(1)} | ${mean.toFixed(1)} | ${(mean / kb).toFixed(1)} |`);
  }
}

@Controller('orders')
class OrdersController {
  @Post()
  @HttpCode(201)
  create(@Body() body: { items?: unknown[] }): { id: string; items: number } {
    return { id: 'o_1', items: body.items?.length ?? 0 };
  }
}

@Module({})
class BenchModule {
  static with(threat: boolean): DynamicModule {
    return {
      module: BenchModule,
      imports: [
        RampartCoreModule.forRoot({ logEvents: false }),
        ErrorsModule.forRoot({}),
        // Typical traffic: one client well under every behaviour limit, as most of an API's clients are.
        ...(threat ? [ThreatModule.forRoot({ mode: 'block', behaviour: { requestRate: { limit: 1e9 } } })] : []),
      ],
      controllers: [OrdersController],
    };
  }
}

async function boot(threat: boolean) {
  const app = await NestFactory.create(BenchModule.with(threat), { logger: false });
  useRequestContext(app);
  if (threat) useThreatDetection(app);
  return app;
}

export const cases: BenchCases = {
  'threat module off': () => boot(false),
  'threat module on (block, memory store)': () => boot(true),
};

async function main(): Promise<void> {
  microBenchmark();
  if (process.argv.includes('--micro')) return;
  const names = Object.keys(cases);
  printTable(
    'POST /orders?<10 params> with a 1 kB JSON body and browser headers, 50 connections, medians of 5 × 5 s',
    await compare(__filename, names, {
      path: `/orders?${QUERY}`,
      method: 'POST',
      headers: HEADERS,
      body: JSON.stringify(typicalBody()),
    }),
  );
}

if (require.main === module) void main();
