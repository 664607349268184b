// The external check of @rampart/threat: detection on public payload lists the detectors were never
// tuned on, read from local checkouts that are never committed here.
//   libinjection's test data (github.com/client9/libinjection, data/: sqli-*.txt and xss-*.txt are
//     URL-encoded query input that must be detected; false_positives.txt must pass)
//   PayloadsAllTheThings (github.com/swisskyrepo/PayloadsAllTheThings, the Intruder payload lists of
//     SQLi, XSS, command injection, directory traversal, SSTI, NoSQL and CRLF)
// Run: node -r @swc-node/register scripts/threat-external.ts --libinjection <libinjection>/data --payloads <PayloadsAllTheThings>
// Each payload travels as one query value (`GET /search?q=…`), the place every list was written for.
// Figures only, never item by item: printing what is missed would invite tuning on it.
import { inspectRequest } from '@rampart/threat';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** PayloadsAllTheThings lists that hold payloads (not event-handler names or endpoint URLs), by category. */
const PAYLOADS_ALL_THE_THINGS: Record<string, string> = {
  'SQL Injection/Intruder': 'sqli',
  'XSS Injection/Intruders': 'xss',
  'Command Injection/Intruder': 'command_injection',
  'Directory Traversal/Intruder': 'path_traversal',
  'Server Side Template Injection/Intruder': 'template_injection',
  'NoSQL Injection/Intruder': 'nosql_injection',
  'CRLF Injection/Files': 'crlf_injection',
};
const NOT_PAYLOADS = /event_handlers|jsonp_endpoint|swf_fuzz/;

interface Tally {
  total: number;
  detected: number;
}

function lines(file: string): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.replace(/\r$/, ''))
    .filter((line) => line.trim() !== '' && !line.startsWith('#'));
}

function detected(queryValue: string): boolean {
  return inspectRequest({ method: 'GET', path: '/search', query: `q=${queryValue}` }).threat;
}

function argument(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : undefined;
}

function pct(t: Tally): string {
  return `${t.detected}/${t.total} = ${((t.detected / Math.max(t.total, 1)) * 100).toFixed(1)}%`;
}

function main(): void {
  const libinjection = argument('--libinjection');
  const payloads = argument('--payloads');
  if (!libinjection && !payloads) {
    console.error('usage: threat-external.ts --libinjection <libinjection>/data --payloads <PayloadsAllTheThings>');
    process.exitCode = 2;
    return;
  }
  const all: Tally = { total: 0, detected: 0 };
  const rates: number[] = [];
  const add = (tally: Tally, hit: boolean): void => {
    tally.total++;
    all.total++;
    if (hit) {
      tally.detected++;
      all.detected++;
    }
  };
  if (libinjection && existsSync(libinjection)) {
    const byKind: Record<string, Tally> = {};
    const benign: Tally = { total: 0, detected: 0 };
    for (const file of readdirSync(libinjection).sort()) {
      const kind = /^(sqli|xss)-.*\.txt$/.exec(file)?.[1];
      if (file === 'false_positives.txt') {
        for (const line of lines(join(libinjection, file))) {
          benign.total++;
          if (detected(line)) benign.detected++;
        }
      }
      if (!kind) continue;
      const tally = (byKind[kind] ??= { total: 0, detected: 0 });
      for (const line of lines(join(libinjection, file))) add(tally, detected(line));
    }
    for (const [kind, tally] of Object.entries(byKind)) {
      rates.push(tally.detected / tally.total);
      console.log(`libinjection ${kind.padEnd(22)} ${pct(tally)}`);
    }
    console.log(`libinjection false_positives.txt flagged ${pct(benign)}  (benign inputs)`);
  }
  if (payloads && existsSync(payloads)) {
    for (const [folder, category] of Object.entries(PAYLOADS_ALL_THE_THINGS)) {
      const dir = join(payloads, folder);
      if (!existsSync(dir)) continue;
      const tally: Tally = { total: 0, detected: 0 };
      for (const file of readdirSync(dir).sort()) {
        if (NOT_PAYLOADS.test(file)) continue;
        for (const line of lines(join(dir, file))) add(tally, detected(encodeURIComponent(line)));
      }
      rates.push(tally.detected / Math.max(tally.total, 1));
      console.log(`PayloadsAllTheThings ${category.padEnd(22)} ${pct(tally)}`);
    }
  }
  console.log(`external, all attacks                     ${pct(all)}`);
  // The traversal lists (dotdotpwn: 23k permutations) outweigh the rest; the mean of lists weighs each once.
  const mean = rates.reduce((sum, rate) => sum + rate, 0) / Math.max(rates.length, 1);
  console.log(`external, mean of the ${rates.length} lists             ${(mean * 100).toFixed(1)}%`);
}

main();
