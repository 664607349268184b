import Table from 'cli-table3';
import type { ScanReport } from './findings';

/** The report as a terminal table. */
export function toTable(report: ScanReport): string {
  const table = new Table({
    head: ['Severity', 'Rule', 'Request', 'Finding'],
    colWidths: [10, 32, 44, 60],
    wordWrap: true,
  });
  for (const f of report.findings) table.push([f.severity, f.rule, `${f.method} ${f.url}`, f.message]);
  const lines = [
    `Target: ${report.target}   Headers: ${report.headers.grade} (${report.headers.score})   Requests: ${report.requests}`,
    report.findings.length ? table.toString() : 'No finding.',
    ...report.skipped.map((s) => `skipped: ${s}`),
  ];
  return `${lines.join('\n')}\n`;
}
