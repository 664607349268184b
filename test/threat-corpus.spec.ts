import { describe, expect, it } from 'vitest';
import { evaluateCorpus, FLOORS, formatReport } from '../scripts/threat-corpus';

// The quality gate of @rampart/threat. The floors hold on the HELD-OUT split, which no tuning looked
// at item by item (libs/threat/corpus/README.md); the tuning split must not regress either.
describe('threat corpus', () => {
  const heldOut = evaluateCorpus('held-out');
  const tuning = evaluateCorpus('tuning');

  it('has attacks of every category in both splits and thousands of benign requests', () => {
    const categories = [
      'command_injection',
      'crlf_injection',
      'nosql_injection',
      'path_traversal',
      'prototype_pollution',
      'sqli',
      'ssrf',
      'template_injection',
      'xss',
    ];
    expect(Object.keys(heldOut.perCategory).sort()).toEqual(categories);
    expect(Object.keys(tuning.perCategory).sort()).toEqual(categories);
    expect(heldOut.attacks).toBeGreaterThanOrEqual(1000);
    expect(heldOut.benign).toBeGreaterThanOrEqual(1500);
    expect(tuning.benign + heldOut.benign).toBeGreaterThanOrEqual(3000);
  });

  it(`held-out split: detects ≥ ${FLOORS.overall * 100}% overall, ≥ ${FLOORS.perCategory * 100}% per category, with ≤ ${FLOORS.falsePositives * 100}% false positives`, () => {
    console.log(formatReport(heldOut));
    expect(heldOut.failures).toEqual([]);
  });

  it('tuning split: the same floors', () => {
    console.log(formatReport(tuning));
    expect(tuning.failures).toEqual([]);
  });
});
