import { describe, expect, it } from 'vitest';
import { scopeAlternatives } from './route-security';

describe('scopeAlternatives', () => {
  it('is one empty alternative when no scope is needed', () => {
    expect(scopeAlternatives([])).toEqual([[]]);
    expect(scopeAlternatives([undefined])).toEqual([[]]);
  });

  it('joins allOf on the controller and the handler', () => {
    expect(scopeAlternatives([{ allOf: ['notes:write'] }, { allOf: ['notes:read', 'notes:write'] }])).toEqual([
      ['notes:write', 'notes:read'],
    ]);
  });

  it('turns anyOf into one alternative per scope, each with every allOf scope', () => {
    expect(scopeAlternatives([{ allOf: ['reports'], anyOf: ['admin', 'auditor'] }])).toEqual([
      ['reports', 'admin'],
      ['reports', 'auditor'],
    ]);
  });
});
