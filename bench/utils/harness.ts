import type { INestApplication } from '@nestjs/common';
import autocannon from 'autocannon';
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

/** A bench file exports `cases`: each boots one variant of the same route, not yet listening. */
export type BenchCases = Record<string, () => Promise<INestApplication>>;

export interface LoadOptions {
  /** Path and method each case is called with. */
  path: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  connections?: number;
  durationSeconds?: number;
  rounds?: number;
  /** A request sequence each connection cycles through (mixed traffic); overrides path/method/body. */
  requests?: autocannon.Request[];
  /** Runs once per case before any timing; throws when the case does not enforce what it claims. */
  check?: (url: string, name: string) => Promise<void>;
  /** Per-case overrides of the load (e.g. a different token on every request for one case). */
  loadFor?: (name: string) => Partial<LoadOptions>;
}

export interface CaseResult {
  name: string;
  requestsPerSecond: number;
  p99Ms: number;
  non2xx: number;
  ratio: number;
  /** CPU time (user + system) the server process spent per answered request, in µs: on a busy machine it moves far less than req/s. */
  cpuMicrosPerRequest: number;
}

const SERVE = join(__dirname, 'serve.ts');

/** Boots one case of a bench file in a child process; resolves once it listens. */
export function startCase(file: string, name: string): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    // The server runs in its own process so the load generator does not share its event loop.
    // BENCH_CPU_PROF=<dir>: each server writes a V8 CPU profile there when it exits (node --cpu-prof).
    const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : [];
    const child = fork(SERVE, [file, name], { execArgv: ['-r', '@swc-node/register', ...profile], stdio: 'inherit' });
    child.once('message', (message) => {
      resolve({ child, url: `http://127.0.0.1:${(message as { port: number }).port}` });
    });
    child.once('exit', (code) => {
      reject(new Error(`case ${name} exited with ${String(code)}`));
    });
  });
}

/** The CPU time (µs, user + system) a case's server process has used so far. */
function cpuOf(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    const onMessage = (message: unknown): void => {
      const cpu = (message as { cpu?: NodeJS.CpuUsage }).cpu;
      if (!cpu) return;
      child.off('message', onMessage);
      resolve(cpu.user + cpu.system);
    };
    child.on('message', onMessage);
    child.send('cpu');
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Runs every case under the same load, in interleaved rounds so drift in the machine's speed hits
 * all cases alike, each round starting one case later (A B C, B C A, C A B, …) so whatever follows
 * a run (its server's GC, the 50 sockets closing, another job's burst) lands on every position
 * alike, and reports medians and each case's ratio to the first.
 */
export async function compare(file: string, names: string[], load: LoadOptions): Promise<CaseResult[]> {
  const servers = new Map<string, { child: ChildProcess; url: string }>();
  for (const name of names) servers.set(name, await startCase(file, name));
  const samples = new Map(
    names.map((name) => [name, { rps: [] as number[], p99: [] as number[], cpu: [] as number[], non2xx: 0 }]),
  );
  const loadOf = (name: string): LoadOptions => ({ ...load, ...load.loadFor?.(name) });
  try {
    for (const name of names) await load.check?.(servers.get(name)!.url, name);
    // Warm-up: long enough for the JIT to settle and every cache and table to reach its steady
    // size (with 1 s, a case's first round read up to 1.7× its later ones).
    const warmUpSeconds = Number(process.env.BENCH_WARMUP_SECONDS ?? 3);
    for (const name of names) await run(servers.get(name)!.url, { ...loadOf(name), durationSeconds: warmUpSeconds });
    for (let round = 0; round < (load.rounds ?? 5); round++) {
      for (let i = 0; i < names.length; i++) {
        const name = names[(round + i) % names.length]!;
        const server = servers.get(name)!;
        const cpuBefore = await cpuOf(server.child);
        const result = await run(server.url, loadOf(name));
        const cpuAfter = await cpuOf(server.child);
        const sample = samples.get(name)!;
        sample.cpu.push((cpuAfter - cpuBefore) / Math.max(1, result.requests.total));
        sample.rps.push(result.requests.average);
        sample.p99.push(result.latency.p99);
        sample.non2xx += result.non2xx;
        // BENCH_VERBOSE=1: every sample, to see a case's spread rather than only its median.
        if (process.env.BENCH_VERBOSE) {
          const cpu = sample.cpu.at(-1)!.toFixed(0);
          console.error(`round ${round + 1} ${name}: ${result.requests.average} req/s, ${cpu} CPU µs/req`);
        }
      }
    }
  } finally {
    for (const { child } of servers.values()) child.disconnect();
  }
  const baseline = median(samples.get(names[0]!)!.rps);
  return names.map((name) => {
    const sample = samples.get(name)!;
    const rps = median(sample.rps);
    return {
      name,
      requestsPerSecond: rps,
      p99Ms: median(sample.p99),
      non2xx: sample.non2xx,
      ratio: rps / baseline,
      cpuMicrosPerRequest: median(sample.cpu),
    };
  });
}

function run(url: string, load: LoadOptions): Promise<autocannon.Result> {
  return autocannon({
    url: url + load.path,
    method: load.method ?? 'GET',
    headers: load.headers,
    body: load.body,
    requests: load.requests,
    connections: load.connections ?? 50,
    duration: load.durationSeconds ?? 5,
  });
}

/** Prints results as the Markdown table the README uses. */
export function printTable(title: string, results: CaseResult[]): void {
  console.log(`\n### ${title}\n`);
  console.log('| case | req/s | p99 (ms) | ratio to first | CPU µs/req | non-2xx |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const r of results) {
    console.log(
      `| ${r.name} | ${r.requestsPerSecond.toFixed(0)} | ${r.p99Ms.toFixed(1)} | ${r.ratio.toFixed(2)}× | ${r.cpuMicrosPerRequest.toFixed(0)} | ${r.non2xx} |`,
    );
  }
}
