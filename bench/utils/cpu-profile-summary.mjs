// Where a bench server's CPU went, from the .cpuprofile files BENCH_CPU_PROF=<dir> writes: self time
// summed by component (Node's HTTP and sockets, the platform, Nest, rxjs, each Rampart lib, each
// other package, GC) and the hottest functions. Samples before the first request reached a
// controller (start-up) are left out. With --us-per-req (the bench's "CPU µs/req" for that case),
// shares are also given in µs per request, which is how a case's cost is split into its parts.
// Usage: node bench/utils/cpu-profile-summary.mjs <file.cpuprofile> [--us-per-req 235] [--top 30]
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(name);
  return at < 0 ? fallback : Number(args[at + 1]);
};
const file = args.find((arg, i) => !arg.startsWith('--') && !args[i - 1]?.startsWith('--'));
if (!file) throw new Error('usage: cpu-profile-summary.mjs <file.cpuprofile> [--us-per-req N] [--top N]');
const usPerRequest = option('--us-per-req', undefined);
const top = option('--top', 30);

const profile = JSON.parse(readFileSync(file, 'utf8'));
const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
const parents = new Map();
for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);

/** Whether a sample's stack runs inside Nest's router (a request): the first one ends start-up. */
function servesRequest(id) {
  for (let at = id; at !== undefined; at = parents.get(at)) {
    if (nodes.get(at).callFrame.url.includes('@nestjs/core/router/')) return true;
  }
  return false;
}

/** The component a function belongs to. */
function componentOf({ url, functionName }) {
  if (functionName === '(garbage collector)') return 'GC';
  if (functionName === '(program)') return 'V8 / native (program)';
  if (functionName === 'runMicrotasks') return 'promise jobs (runMicrotasks)';
  if (!url) return /^write|^writev|Utf8String|Latin1String/.test(functionName) ? 'socket writes' : 'native';
  const lib = /\/libs\/([^/]+)\/src\//.exec(url);
  if (lib) return `rampart/${lib[1]}`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) {
    const name = pkg[1];
    if (name.startsWith('@nestjs/')) return name === '@nestjs/core' || name === '@nestjs/common' ? 'nest' : name;
    if (
      [
        'express',
        'router',
        'body-parser',
        'raw-body',
        'parseurl',
        'type-is',
        'content-type',
        'on-finished',
        'finalhandler',
        'send',
        'etag',
        'debug',
        'iconv-lite',
        'mime-types',
        'qs',
      ].includes(name)
    )
      return 'express (+ its deps)';
    if (
      name === 'fastify' ||
      name.startsWith('@fastify/') ||
      ['find-my-way', 'avvio', 'light-my-request', 'toad-cache', 'secure-json-parse', 'fast-json-stringify'].includes(
        name,
      )
    )
      return 'fastify (+ its deps)';
    return name;
  }
  if (url.startsWith('node:')) {
    if (/_http|http_|stream|net\b|internal\/streams/.test(url)) return 'node http/net/streams';
    return `node ${url.slice(5).replace(/^internal\//, '')}`;
  }
  return url.split('/').slice(-2).join('/');
}

let start = 0;
while (start < profile.samples.length && !servesRequest(profile.samples[start])) start++;
const byComponent = new Map();
const byFunction = new Map();
let busy = 0;
for (let i = start; i < profile.samples.length; i++) {
  const micros = profile.timeDeltas[i + 1] ?? 0;
  const frame = nodes.get(profile.samples[i]).callFrame;
  if (frame.functionName === '(idle)') continue;
  busy += micros;
  const component = componentOf(frame);
  byComponent.set(component, (byComponent.get(component) ?? 0) + micros);
  const where = frame.url.replace(/.*node_modules\//, '').replace(/.*\/libs\//, 'libs/');
  const name = `${frame.functionName || '(anonymous)'} ${where}${where ? `:${frame.lineNumber + 1}` : ''}`;
  byFunction.set(name, (byFunction.get(name) ?? 0) + micros);
}

const share = (micros) => `${((100 * micros) / busy).toFixed(1).padStart(5)}%`;
const perRequest = (micros) =>
  usPerRequest === undefined ? '' : ` ${((usPerRequest * micros) / busy).toFixed(1).padStart(6)} µs/req`;
console.log(`${file}: ${(busy / 1e6).toFixed(2)} s busy after start-up`);
console.log('\nby component (self time)');
for (const [component, micros] of [...byComponent].sort((a, b) => b[1] - a[1])) {
  if (micros / busy >= 0.002) console.log(`${share(micros)}${perRequest(micros)}  ${component}`);
}
console.log(`\ntop ${top} functions (self time)`);
for (const [name, micros] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`${share(micros)}${perRequest(micros)}  ${name}`);
}
