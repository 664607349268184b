import { describe, expect, it } from 'vitest';
import { evaluateCorpus, FLOORS, formatReport } from '../scripts/threat-corpus';

// The quality gate of @rampart/threat: the build fails when detection or false positives regress.
describe('threat corpus', () => {
  const report = evaluateCorpus();

  it('has attacks of every category and a few hundred benign requests', () => {
    expect(Object.keys(report.perCategory).sort()).toEqual([
      'command_injection',
      'crlf_injection',
      'nosql_injection',
      'path_traversal',
      'prototype_pollution',
      'sqli',
      'ssrf',
      'template_injection',
      'xss',
    ]);
    expect(report.benign).toBeGreaterThanOrEqual(300);
    expect(report.attacks).toBeGreaterThanOrEqual(300);
  });

  it(`detects ≥ ${FLOORS.overall * 100}% overall, ≥ ${FLOORS.perCategory * 100}% per category, with ≤ ${FLOORS.falsePositives * 100}% false positives`, () => {
    console.log(formatReport(report));
    expect(report.failures).toEqual([]);
  });
});
