// `/health` latency on the sample API (Express, memory store) idle and during a flood of wrong
// passwords on the login form: issue #19's acceptance is p50 under flood < 2× p50 idle (password
// hashing must not block the event loop). The login throttle is raised so every attempt reaches
// scrypt: the attacker who rotates accounts and addresses, the worst case for the event loop.
// Run: flock /tmp/bench.lock node bench/run.mjs bench/health-under-login-flood.bench.ts
// BENCH_SECONDS (default 20) is each phase's length; BENCH_LOGINS_PER_SECOND (default 25) the flood.
import type { ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../apps/sample-api/src/app.config';
import { createApp } from '../apps/sample-api/src/app.factory';
import { startCase, type BenchCases } from './utils/harness';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const LOGINS_PER_SECOND = Number(process.env.BENCH_LOGINS_PER_SECOND ?? 25);
/** `/health` is probed one request at a time, this often: a monitor, not a load. */
const PROBE_INTERVAL_MS = 20;
const NO_THROTTLE = { failures: 1_000_000, window: '1m', blockFor: '1s' } as const;

export const cases: BenchCases = {
  sample: () => {
    const defaults = loadConfig({});
    return createApp({
      ...defaults,
      rateLimit: {
        ...defaults.rateLimit,
        perIpPerMinute: 1_000_000,
        login: { perAccount: NO_THROTTLE, perIp: NO_THROTTLE },
      },
    });
  },
};

function send(
  agent: Agent,
  url: string,
  method: 'GET' | 'POST',
  path: string,
  body?: string,
): Promise<{ status: number; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request(`${url}${path}`, {
      agent,
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' },
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
};

/** `/health` latencies (ms) over `seconds`, one request at a time; non-200s are counted. */
async function probeHealth(url: string, seconds: number): Promise<{ latencies: number[]; errors: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const latencies: number[] = [];
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    const { status, ms } = await send(agent, url, 'GET', '/health');
    if (status === 200) latencies.push(ms);
    else errors++;
    await sleep(PROBE_INTERVAL_MS);
  }
  agent.destroy();
  return { latencies, errors };
}

/** Fires wrong logins at a fixed rate (open loop: a slow server does not slow the attacker). */
function flood(url: string, perSecond: number): { stop: () => Promise<Map<number, number>> } {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const statuses = new Map<number, number>();
  const pending = new Set<Promise<unknown>>();
  let n = 0;
  const timer = setInterval(() => {
    n++;
    const body = new URLSearchParams({ username: `victim-${n % 50}@acme.test`, password: `wrong-${n}` }).toString();
    const attempt = send(agent, url, 'POST', '/oauth/login', body).then(
      ({ status }) => statuses.set(status, (statuses.get(status) ?? 0) + 1),
      () => statuses.set(0, (statuses.get(0) ?? 0) + 1),
    );
    pending.add(attempt);
    void attempt.finally(() => pending.delete(attempt));
  }, 1000 / perSecond);
  return {
    stop: async () => {
      clearInterval(timer);
      await Promise.all(pending);
      agent.destroy();
      return statuses;
    },
  };
}

async function main(): Promise<void> {
  const { child, url } = await startCase(__filename, 'sample');
  try {
    await probeHealth(url, 1); // warm-up
    const idle = await probeHealth(url, SECONDS);
    const attack = flood(url, LOGINS_PER_SECOND);
    await sleep(500); // let the flood reach its rate
    const loaded = await probeHealth(url, SECONDS);
    const statuses = await attack.stop();
    const idleP50 = median(idle.latencies);
    const loadedP50 = median(loaded.latencies);
    const ratio = loadedP50 / idleP50;
    console.log(`## /health under a login flood (Express, memory store, ${SECONDS} s per phase)`);
    console.log('| phase | /health p50 (ms) | probes | non-200 |');
    console.log('| --- | --- | --- | --- |');
    console.log(`| idle | ${idleP50.toFixed(2)} | ${idle.latencies.length} | ${idle.errors} |`);
    console.log(
      `| ${LOGINS_PER_SECOND} wrong logins/s | ${loadedP50.toFixed(2)} | ${loaded.latencies.length} | ${loaded.errors} |`,
    );
    console.log(
      `login answers: ${[...statuses].map(([status, count]) => `${status} × ${count}`).join(', ')} (401 = password checked)`,
    );
    console.log(`ratio (flood / idle p50): ${ratio.toFixed(2)}× — issue #19 target: under 2×`);
    if (!statuses.has(401)) throw new Error('no login reached the password check: the flood measured nothing');
  } finally {
    stopServer(child);
  }
}

function stopServer(child: ChildProcess): void {
  child.removeAllListeners('exit');
  child.disconnect();
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
