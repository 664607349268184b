import type { Log, ReportingDescriptor, Result } from 'sarif';
import type { ScanReport, Severity } from './findings';

const LEVELS: Readonly<Record<Severity, Result.level>> = { high: 'error', medium: 'warning', low: 'note' };
/** GitHub code scanning reads `security-severity` (CVSS-like, 0-10) to rank security results. */
const SECURITY_SEVERITY: Readonly<Record<Severity, string>> = { high: '8.0', medium: '5.0', low: '2.0' };

/** The report as a SARIF 2.1.0 log, for CI and code-scanning dashboards. @publicApi */
export function toSarif(report: ScanReport, version: string): Log {
  const rules = new Map<string, ReportingDescriptor>();
  for (const finding of report.findings) {
    if (rules.has(finding.rule)) continue;
    rules.set(finding.rule, {
      id: finding.rule,
      shortDescription: { text: finding.rule },
      defaultConfiguration: { level: LEVELS[finding.severity] },
      properties: { tags: ['security'], 'security-severity': SECURITY_SEVERITY[finding.severity] },
    });
  }
  const ids = [...rules.keys()];
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'rampart-scan',
            version,
            informationUri: 'https://www.npmjs.com/package/@rampart/scanner',
            rules: [...rules.values()],
          },
        },
        invocations: [{ executionSuccessful: true, startTimeUtc: report.startedAt }],
        results: report.findings.map((finding): Result => ({
          ruleId: finding.rule,
          ruleIndex: ids.indexOf(finding.rule),
          level: LEVELS[finding.severity],
          message: { text: finding.evidence ? `${finding.message} Evidence: ${finding.evidence}` : finding.message },
          locations: [{ physicalLocation: { artifactLocation: { uri: finding.url } } }],
          properties: { method: finding.method },
        })),
      },
    ],
  };
}
