import type { Answer } from '../http';
import type { ScanContext } from '../context';
import type { Finding } from '../findings';

const GRADES: readonly [number, string][] = [
  [100, 'A+'],
  [90, 'A'],
  [85, 'A-'],
  [80, 'B+'],
  [70, 'B'],
  [65, 'B-'],
  [60, 'C+'],
  [50, 'C'],
  [45, 'C-'],
  [40, 'D+'],
  [30, 'D'],
  [25, 'D-'],
];

/** Observatory's letter for a score (MDN HTTP Observatory scoring: start at 100, A+ from 100). */
export function gradeOf(score: number): string {
  return GRADES.find(([min]) => score >= min)?.[1] ?? 'F';
}

type Rule = Omit<Finding, 'method' | 'url' | 'evidence'> & { penalty: number };

/**
 * The header tests of the Observatory that apply to an API, with its penalties: a missing CSP
 * (-25), no framing protection (-20), no HSTS on HTTPS (-20), no nosniff (-5); plus the
 * disclosures it does not score (X-Powered-By, a versioned Server).
 */
export function headerRules(answer: Answer, https: boolean): Rule[] {
  const h = answer.headers;
  const rules: Rule[] = [];
  const csp = h['content-security-policy'];
  if (!csp) {
    rules.push({
      rule: 'headers/missing-csp',
      severity: 'medium',
      penalty: 25,
      message: "No Content-Security-Policy: an API should send \"default-src 'none'; frame-ancestors 'none'\".",
    });
  } else if (/'unsafe-inline'|'unsafe-eval'|(^|[\s;])\*(\s|;|$)/.test(csp) && !/default-src 'none'/.test(csp)) {
    rules.push({
      rule: 'headers/weak-csp',
      severity: 'low',
      penalty: 10,
      message: 'The Content-Security-Policy allows inline code or any source.',
    });
  }
  if (!h['x-frame-options'] && !/frame-ancestors/.test(csp ?? '')) {
    rules.push({
      rule: 'headers/missing-frame-protection',
      severity: 'medium',
      penalty: 20,
      message: 'Neither X-Frame-Options nor CSP frame-ancestors: responses can be framed (clickjacking).',
    });
  }
  const hsts = h['strict-transport-security'];
  const maxAge = Number(/max-age=(\d+)/i.exec(hsts ?? '')?.[1] ?? 0);
  if (https && !hsts) {
    rules.push({
      rule: 'headers/missing-hsts',
      severity: 'medium',
      penalty: 20,
      message: 'No Strict-Transport-Security: a first request over plain HTTP can be downgraded.',
    });
  } else if (https && maxAge < 15_552_000) {
    rules.push({
      rule: 'headers/short-hsts',
      severity: 'low',
      penalty: 10,
      message: 'Strict-Transport-Security max-age is under six months.',
    });
  }
  if (h['x-content-type-options']?.toLowerCase() !== 'nosniff') {
    rules.push({
      rule: 'headers/missing-nosniff',
      severity: 'low',
      penalty: 5,
      message: 'No "X-Content-Type-Options: nosniff": browsers may sniff a JSON answer as HTML.',
    });
  }
  if (!h['referrer-policy']) {
    rules.push({
      rule: 'headers/missing-referrer-policy',
      severity: 'low',
      penalty: 0,
      message: 'No Referrer-Policy: URLs (and the ids or tokens in them) leak to other sites.',
    });
  }
  if (h['x-powered-by']) {
    rules.push({
      rule: 'headers/x-powered-by',
      severity: 'low',
      penalty: 0,
      message: `X-Powered-By names the framework ("${h['x-powered-by']}"): remove it.`,
    });
  }
  if (/\d/.test(h.server ?? '')) {
    rules.push({
      rule: 'headers/server-version',
      severity: 'low',
      penalty: 0,
      message: `The Server header names a version ("${h.server}").`,
    });
  }
  return rules;
}

/** Grades the headers of the base URL's answer and reports what is missing. */
export async function gradeHeaders(ctx: ScanContext): Promise<{ grade: string; score: number }> {
  const answer = await ctx.http.send('GET', ctx.base.href);
  if (answer.error) throw new Error(`${ctx.base.href} did not answer: ${answer.error}`);
  const rules = headerRules(answer, ctx.base.protocol === 'https:');
  for (const { rule, severity, message } of rules)
    ctx.report({ rule, severity, message, method: 'GET', url: answer.url });
  let score = 100 - rules.reduce((sum, r) => sum + r.penalty, 0);
  // Observatory's bonus for a referrer policy that keeps URLs private, only from 90 up.
  if (score >= 90 && /no-referrer|same-origin|strict-origin/.test(answer.headers['referrer-policy'] ?? '')) score += 5;
  return { grade: gradeOf(score), score };
}
