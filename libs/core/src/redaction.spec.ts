import { describe, expect, it } from 'vitest';
import { createRedactor, redact } from './redaction';

const JWT =
  'eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1LWFsaWNlIiwiZXhwIjoxOTAwMDAwMDAwfQ.MEUCIQDx2f1lNqJ0Yw8sGmTc4y9QhZr1d5b';
const API_KEY = 'rk_3f9c0a1b2c3d4e5f_' + 'A'.repeat(20) + 'b-_' + 'c'.repeat(20);

describe('redact', () => {
  it('hides secret fields at any depth, whatever their spelling', () => {
    const out = redact({
      password: 'hunter2',
      Authorization: 'Bearer abc',
      'X-API-Key': 'k',
      headers: { cookie: 'sid=1', 'set-cookie': ['sid=2'] },
      a: { b: { c: { d: { newPassword: 'p', Client_Secret: 's', refresh_token: 'r', code_verifier: 'v' } } } },
      user: 'alice',
    });
    expect(out).toEqual({
      password: '[REDACTED]',
      Authorization: '[REDACTED]',
      'X-API-Key': '[REDACTED]',
      headers: { cookie: '[REDACTED]', 'set-cookie': '[REDACTED]' },
      a: {
        b: {
          c: {
            d: {
              newPassword: '[REDACTED]',
              Client_Secret: '[REDACTED]',
              refresh_token: '[REDACTED]',
              code_verifier: '[REDACTED]',
            },
          },
        },
      },
      user: 'alice',
    });
  });

  it('hides JWTs, API keys and quoted credentials inside any string, and masks e-mails', () => {
    const out = redact({
      note: `token was ${JWT} and key ${API_KEY}; header Basic dXNlcjpwYXNzd29yZA==`,
      list: [JWT, 'contact alice.smith@example.com'],
    }) as { note: string; list: string[] };
    expect(out.note).not.toContain(JWT.slice(0, 40));
    expect(out.note).not.toContain(API_KEY.slice(20));
    expect(out.note).not.toContain('dXNlcjpwYXNzd29yZA');
    expect(out.list[0]).toBe('[REDACTED]');
    expect(out.list[1]).toBe('contact a***@example.com');
  });

  it('recognises a secret that straddles the cut before cutting', () => {
    const out = redact({ note: 'x'.repeat(240) + JWT }) as { note: string };
    expect(out.note).not.toContain('eyJzdWIi');
    expect(out.note.length).toBeLessThan(300);
  });

  it('bounds strings, arrays and depth', () => {
    const out = redact({
      s: 'x'.repeat(1000),
      list: Array.from({ length: 50 }, (_, i) => i),
      a: { b: { c: { d: { e: { f: { g: 1 } } } } } },
    }) as { s: string; list: unknown[]; a: { b: { c: { d: { e: { f: unknown } } } } } };
    expect(out.s.length).toBeLessThan(300);
    expect(out.list).toHaveLength(21);
    expect(out.a.b.c.d.e.f).toBe('[…]');
  });

  it('takes more keys and patterns, and refuses a non-global pattern', () => {
    const custom = createRedactor({ keys: ['ssn'], patterns: [/\bacct-\d{8}\b/g], maskEmails: false });
    expect(custom({ SSN: '078-05-1120', note: 'acct-12345678 bob@example.com' })).toEqual({
      SSN: '[REDACTED]',
      note: '[REDACTED] bob@example.com',
    });
    expect(() => createRedactor({ patterns: [/x/] })).toThrow(/g flag/);
  });

  it('scans a bounded prefix of a huge string, so hostile input costs what a short one does (no ReDoS lever)', () => {
    const out = redact({ a: 'eyJ'.repeat(400_000), b: 'a@'.repeat(500_000) }) as { a: string; b: string };
    expect(out.a.length).toBeLessThan(300);
    expect(out.b.length).toBeLessThan(300);
    expect(out.a).toMatch(/more\]$/);
  });
});
