import { SingleBar } from 'cli-progress';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { atLeast, SEVERITIES, type ScanReport, type Severity } from './findings';
import { toSarif } from './sarif';
import { scan } from './scan';
import { toTable } from './table';

const USAGE = `Usage: rampart scan <url> [options]

Scans a running HTTP API (any framework) for security misconfigurations.
Send it only to APIs you own: it sends malformed and oversized requests.

Options:
  --openapi <file|url>   OpenAPI 3 document (JSON): every operation is checked
  --format <f>           table (default), json or sarif
  --output <file>        write the report there instead of stdout
  --fail-on <severity>   exit 1 when a finding is at least: low, medium (default), high, or none
  --timeout <ms>         per-request timeout (default 10000)
  --header "Name: v"     extra header on every request (repeatable)
  --help

Exit codes: 0 no finding at the threshold, 1 findings at or above it, 2 usage or connection error.
`;

/** Where the CLI writes; the real process's streams, or a test's. */
export interface CliIo {
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown };
}

const FORMATS = ['table', 'json', 'sarif'] as const;

async function loadDocument(source: string): Promise<unknown> {
  if (/^https?:\/\//.test(source)) {
    const res = await request(source);
    if (res.statusCode !== 200) throw new Error(`${source} answered ${res.statusCode}`);
    return res.body.json();
  }
  return JSON.parse(readFileSync(source, 'utf8')) as unknown;
}

function version(): string {
  try {
    return (JSON.parse(readFileSync(`${__dirname}/../package.json`, 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

/**
 * `rampart scan …` without the process: returns the exit code.
 * @publicApi
 */
export async function run(argv: readonly string[], io: CliIo = process): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        openapi: { type: 'string' },
        format: { type: 'string', default: 'table' },
        output: { type: 'string' },
        'fail-on': { type: 'string', default: 'medium' },
        timeout: { type: 'string', default: '10000' },
        header: { type: 'string', multiple: true },
        help: { type: 'boolean' },
      },
    });
  } catch (error) {
    io.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  const [command, target] = positionals;
  const format = values.format as (typeof FORMATS)[number];
  const failOn = values['fail-on'] as Severity | 'none';
  const timeoutMs = Number(values.timeout);
  const headers = Object.fromEntries(
    (values.header ?? []).map((h) => [h.slice(0, h.indexOf(':')).trim(), h.slice(h.indexOf(':') + 1).trim()]),
  );
  const problem =
    command !== 'scan' || !target
      ? 'Expected: rampart scan <url>'
      : !FORMATS.includes(format)
        ? `--format must be one of ${FORMATS.join(', ')}`
        : failOn !== 'none' && !SEVERITIES.includes(failOn)
          ? `--fail-on must be one of ${SEVERITIES.join(', ')}, none`
          : !Number.isInteger(timeoutMs) || timeoutMs <= 0
            ? '--timeout must be a positive number of milliseconds'
            : Object.keys(headers).some((name) => !/^[\w-]+$/.test(name))
              ? '--header must be "Name: value"'
              : undefined;
  if (problem || !target) {
    io.stderr.write(`${problem}\n\n${USAGE}`);
    return 2;
  }
  // A progress bar only for a person at a terminal: never in CI logs or piped output.
  const bar = io.stdout.isTTY
    ? new SingleBar({ format: 'scanning [{bar}] {value}/{total} {check}', hideCursor: true })
    : undefined;
  let report: ScanReport;
  try {
    const openapi = values.openapi === undefined ? undefined : await loadDocument(values.openapi);
    bar?.start(8, 0, { check: '' });
    report = await scan(target, {
      openapi,
      timeoutMs,
      headers,
      onProgress: (done, total, check) => bar?.update(done, { check, total }),
    });
  } catch (error) {
    bar?.stop();
    io.stderr.write(`rampart scan: ${(error as Error).message}\n`);
    return 2;
  }
  bar?.stop();
  const text =
    format === 'json'
      ? `${JSON.stringify(report, null, 2)}\n`
      : format === 'sarif'
        ? `${JSON.stringify(toSarif(report, version()), null, 2)}\n`
        : toTable(report);
  if (values.output) writeFileSync(values.output, text);
  else io.stdout.write(text);
  return failOn !== 'none' && report.findings.some((f) => atLeast(f.severity, failOn)) ? 1 : 0;
}
