import { describe, expect, it } from 'vitest';
import { cookieRules, redactCookie } from './cookies.check';

const rulesOf = (header: string, https = true): string[] => cookieRules(header, https).map((r) => r.rule);

describe('cookie rules', () => {
  it('passes a host-only session cookie with every flag, over HTTPS and (without Secure) over HTTP', () => {
    expect(rulesOf('__Host-session=abc; Path=/; Secure; HttpOnly; SameSite=Lax')).toEqual([]);
    expect(rulesOf('session=abc; Path=/; HttpOnly; SameSite=Strict; Max-Age=3600', false)).toEqual([]);
  });

  it('reports a session cookie without Secure, HttpOnly and SameSite, and rates it above an ordinary cookie', () => {
    const session = cookieRules('sessionid=abc; Path=/', true);
    expect(session.map((r) => `${r.rule} ${r.severity}`)).toEqual([
      'cookies/missing-secure high',
      'cookies/missing-httponly medium',
      'cookies/missing-samesite medium',
    ]);
    expect(cookieRules('theme=dark', true).map((r) => `${r.rule} ${r.severity}`)).toEqual([
      'cookies/missing-secure medium',
      'cookies/missing-httponly low',
      'cookies/missing-samesite low',
    ]);
  });

  it('reads attribute names in any case, and leaves a CSRF token cookie readable by script', () => {
    expect(rulesOf('SID=abc; path=/; SECURE; httponly; samesite=lax')).toEqual([]);
    expect(rulesOf('XSRF-TOKEN=abc; Path=/; Secure; SameSite=Strict')).toEqual([]);
  });

  it('reports SameSite=None without Secure, and on a session cookie', () => {
    expect(rulesOf('auth=abc; HttpOnly; SameSite=None', false)).toEqual(['cookies/samesite-none-insecure']);
    expect(rulesOf('auth=abc; Secure; HttpOnly; SameSite=None')).toEqual(['cookies/samesite-none']);
  });

  it('reports a session cookie shared with every subdomain', () => {
    expect(rulesOf('session=abc; Domain=.example.com; Path=/; Secure; HttpOnly; SameSite=Lax')).toEqual([
      'cookies/broad-domain',
    ]);
    expect(rulesOf('lang=en; Domain=example.com; Secure; HttpOnly; SameSite=Lax')).toEqual([]);
  });

  it('enforces the __Secure- and __Host- prefix rules as browsers do', () => {
    expect(rulesOf('__Secure-id=1; HttpOnly; SameSite=Lax')).toContain('cookies/invalid-prefix');
    expect(rulesOf('__Secure-id=1; Secure; HttpOnly; SameSite=Lax', false)).toEqual(['cookies/invalid-prefix']);
    expect(rulesOf('__Host-id=1; Secure; HttpOnly; SameSite=Lax; Path=/api')).toEqual(['cookies/invalid-prefix']);
    expect(rulesOf('__Host-id=1; Secure; HttpOnly; SameSite=Lax; Path=/; Domain=example.com')).toEqual([
      'cookies/invalid-prefix',
    ]);
    expect(rulesOf('__host-id=1; Secure; HttpOnly; SameSite=Lax')).toEqual(['cookies/invalid-prefix']);
  });

  it('ignores a cookie that removes another', () => {
    expect(rulesOf('session=; Max-Age=0')).toEqual([]);
    expect(rulesOf('session=; Expires=Thu, 01 Jan 1970 00:00:00 GMT')).toEqual([]);
    expect(rulesOf('session=x; Expires=Fri, 01 Jan 2100 00:00:00 GMT')).toContain('cookies/missing-httponly');
  });

  it('masks the value in evidence', () => {
    expect(redactCookie('session=s3cr3t; Path=/; HttpOnly')).toBe('session=…; Path=/; HttpOnly');
  });
});
