import { describe, expect, it } from 'vitest';
import { redact, SecurityEvents, type SecurityEvent } from './security-events';

describe('redact', () => {
  it('hides secrets by key and JWT-looking values under any key', () => {
    const out = redact({
      password: 'hunter2',
      Authorization: 'Bearer abc',
      apiKey: 'rk_live_x',
      nested: { refresh_token: 'r', note: 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiIxIn0.sig' },
      user: 'alice',
    });
    expect(out).toEqual({
      password: '[REDACTED]',
      Authorization: '[REDACTED]',
      apiKey: '[REDACTED]',
      nested: { refresh_token: '[REDACTED]', note: '[REDACTED]' },
      user: 'alice',
    });
  });

  it('bounds strings, arrays and depth', () => {
    const out = redact({
      s: 'x'.repeat(1000),
      list: Array.from({ length: 50 }, (_, i) => i),
      a: { b: { c: { d: { e: 1 } } } },
    }) as {
      s: string;
      list: unknown[];
      a: { b: { c: { d: unknown } } };
    };
    expect(out.s.length).toBeLessThan(300);
    expect(out.list).toHaveLength(21);
    expect(out.a.b.c.d).toBe('[…]');
  });
});

describe('SecurityEvents', () => {
  it('delivers redacted, frozen events and survives a throwing listener', () => {
    const events = new SecurityEvents();
    events.setLogging(false);
    const seen: SecurityEvent[] = [];
    events.subscribe(() => {
      throw new Error('sink down');
    });
    const unsubscribe = events.subscribe((event) => seen.push(event));
    events.emit({ type: 'auth.failure', severity: 'medium', reason: 'token_expired', details: { token: 'eyJx' } });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ type: 'auth.failure', reason: 'token_expired', details: { token: '[REDACTED]' } });
    expect(Object.isFrozen(seen[0])).toBe(true);
    unsubscribe();
    events.emit({ type: 'auth.failure', severity: 'medium' });
    expect(seen).toHaveLength(1);
  });
});
