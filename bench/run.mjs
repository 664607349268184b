// Runs bench files (default: all bench/*.bench.ts) one after another. Usage: npm run bench [-- files…]
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

const files = process.argv.slice(2).length
  ? process.argv.slice(2)
  : readdirSync('bench')
      .filter((f) => f.endsWith('.bench.ts'))
      .map((f) => `bench/${f}`);
for (const file of files) {
  execFileSync(process.execPath, ['-r', '@swc-node/register', file], { stdio: 'inherit' });
}
