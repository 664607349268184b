// The outbound client's overhead against plain undici `request`, on a local HTTP server running in
// its own process. Usage: npm run bench -- bench/outbound.bench.ts
import { fork, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { OutboundClient } from '@rampart/outbound';
import { Agent, request } from 'undici';

const BODY = JSON.stringify({ currency: 'EUR', amount: 1250, validUntil: '2030-01-01T00:00:00Z' });
const CONCURRENCY = 20;
const CALLS_PER_ROUND = 4_000;
const ROUNDS = 5;

/** Child mode: the target server, so the client under test does not share its event loop. */
function serve(): void {
  const server = createServer((_req, res) => res.setHeader('content-type', 'application/json').end(BODY));
  server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as AddressInfo).port }));
  process.on('disconnect', () => process.exit(0));
}

function startTarget(): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, ['serve'], { execArgv: ['-r', '@swc-node/register'], stdio: 'inherit' });
    child.once('message', (message) => resolve({ child, port: (message as { port: number }).port }));
    child.once('exit', (code) => reject(new Error(`target exited with ${String(code)}`)));
  });
}

/** Calls per second for `call`, CONCURRENCY in flight. */
async function measure(call: () => Promise<unknown>): Promise<number> {
  let remaining = CALLS_PER_ROUND;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (remaining-- > 0) await call();
    }),
  );
  return CALLS_PER_ROUND / ((performance.now() - started) / 1000);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

async function main(): Promise<void> {
  const { child, port } = await startTarget();
  const url = `http://partner.test:${port}/quote`;
  const direct = `http://127.0.0.1:${port}/quote`;
  const agent = new Agent();
  // The bench's target is on loopback: the test-only escape, and a resolver answering at once
  // (the system resolver's cost is the same for both and not the client's overhead).
  const local = {
    allowedHosts: [{ host: 'partner.test', allowHttp: true }],
    allowPrivateNetworks: ['127.0.0.1/32'],
    resolver: async () => [{ address: '127.0.0.1', family: 4 as const }],
  };
  const client = new OutboundClient(local);
  const cases: Record<string, () => Promise<unknown>> = {
    'undici request (body as text)': async () => {
      const response = await request(direct, { dispatcher: agent });
      return response.body.text();
    },
    'undici request + JSON.parse': async () => {
      const response = await request(direct, { dispatcher: agent });
      return JSON.parse(await response.body.text()) as unknown;
    },
    'OutboundClient.request': () => client.request(url),
    'OutboundClient.json (no schema)': () => client.json(url),
  };
  const samples = new Map(Object.keys(cases).map((name) => [name, [] as number[]]));
  try {
    for (const call of Object.values(cases)) await measure(call); // warm-up
    // Interleaved rounds, each starting one case later, so neither drift nor position favours a case.
    const entries = Object.entries(cases);
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < entries.length; i++) {
        const [name, call] = entries[(round + i) % entries.length] as [string, () => Promise<unknown>];
        samples.get(name)?.push(await measure(call));
      }
    }
  } finally {
    await Promise.all([client.close(), agent.close()]);
    child.disconnect();
  }
  const baseline = median(samples.get('undici request (body as text)') ?? []);
  console.log(
    `\n### Outbound client vs undici: GET of a ${BODY.length}-byte JSON on 127.0.0.1, ${CONCURRENCY} in flight, medians of ${ROUNDS} × ${CALLS_PER_ROUND} calls\n`,
  );
  console.log('| case | calls/s | ratio to undici |');
  console.log('|---|---:|---:|');
  for (const [name, values] of samples) {
    const rate = median(values);
    console.log(`| ${name} | ${rate.toFixed(0)} | ${(rate / baseline).toFixed(2)}× |`);
  }
}

if (process.argv[2] === 'serve') serve();
else if (require.main === module) void main();
