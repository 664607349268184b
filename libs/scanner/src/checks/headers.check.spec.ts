import { describe, expect, it } from 'vitest';
import type { Answer } from '../http';
import { gradeOf, headerRules } from './headers.check';

const answer = (headers: Record<string, string>): Answer => ({
  method: 'GET',
  url: 'https://api.test/',
  status: 200,
  headers,
  body: '',
  cookies: [],
});

describe('header rules and grade', () => {
  it('grades like the Observatory', () => {
    expect([100, 95, 85, 70, 50, 25, 24].map(gradeOf)).toEqual(['A+', 'A', 'A-', 'B', 'C', 'D-', 'F']);
  });

  it('finds nothing to fix in an API preset', () => {
    const rules = headerRules(
      answer({
        'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
        'strict-transport-security': 'max-age=31536000; includeSubDomains',
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
      }),
      true,
    );
    expect(rules).toEqual([]);
  });

  it('penalises a bare response and names the disclosures', () => {
    const rules = headerRules(answer({ 'x-powered-by': 'Express', server: 'nginx/1.25.3' }), true);
    expect(rules.map((r) => r.rule)).toEqual([
      'headers/missing-csp',
      'headers/missing-frame-protection',
      'headers/missing-hsts',
      'headers/missing-nosniff',
      'headers/missing-referrer-policy',
      'headers/x-powered-by',
      'headers/server-version',
    ]);
    expect(100 - rules.reduce((sum, r) => sum + r.penalty, 0)).toBe(30);
  });

  it('does not ask for HSTS over plain HTTP, and flags a short one over HTTPS', () => {
    expect(headerRules(answer({}), false).map((r) => r.rule)).not.toContain('headers/missing-hsts');
    const short = headerRules(answer({ 'strict-transport-security': 'max-age=3600' }), true);
    expect(short.map((r) => r.rule)).toContain('headers/short-hsts');
  });

  it('flags a CSP that allows inline scripts', () => {
    const rules = headerRules(answer({ 'content-security-policy': "script-src 'self' 'unsafe-inline'" }), false);
    expect(rules.map((r) => r.rule)).toContain('headers/weak-csp');
  });
});
