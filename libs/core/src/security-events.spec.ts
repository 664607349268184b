import { Logger } from '@nestjs/common';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { principalOf, SecurityEvents, type SecurityEvent } from './security-events';

afterEach(() => vi.restoreAllMocks());

describe('SecurityEvents', () => {
  it('delivers redacted, frozen events with the subject in its one format, and survives a throwing listener', () => {
    const events = new SecurityEvents();
    events.setLogging(false);
    const seen: SecurityEvent[] = [];
    events.subscribe(() => {
      throw new Error('sink down');
    });
    const unsubscribe = events.subscribe((event) => seen.push(event));
    events.emit({
      type: 'auth.failure',
      severity: 'medium',
      reason: 'token_expired',
      principal: { kind: 'apikey', id: '3f9c0a1b2c3d4e5f' },
      details: { token: 'eyJx' },
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      type: 'auth.failure',
      outcome: 'failure',
      reason: 'token_expired',
      subject: 'apikey:3f9c0a1b2c3d4e5f',
      details: { token: '[REDACTED]' },
    });
    expect(Date.parse(seen[0]!.time)).not.toBeNaN();
    expect(Object.isFrozen(seen[0])).toBe(true);
    expect(Object.isFrozen(seen[0]!.details)).toBe(true);
    unsubscribe();
    events.emit({ type: 'auth.failure', severity: 'medium' });
    expect(seen).toHaveLength(1);
  });

  it('stamps the time exactly as toISOString would, across milliseconds, seconds and days', () => {
    const events = new SecurityEvents();
    events.setLogging(false);
    const seen: SecurityEvent[] = [];
    events.subscribe((event) => seen.push(event));
    const instants = [
      Date.UTC(2026, 11, 31, 23, 59, 59, 999),
      Date.UTC(2027, 0, 1, 0, 0, 0, 0),
      Date.UTC(2027, 0, 1, 0, 0, 0, 7),
      Date.UTC(2027, 0, 1, 0, 0, 0, 42),
      Date.UTC(2027, 0, 1, 0, 0, 1, 300),
      Date.UTC(2026, 0, 1, 0, 0, 1, 300), // the clock went back a year: not the cached second
    ];
    for (const instant of instants) {
      vi.spyOn(Date, 'now').mockReturnValue(instant);
      events.emit({ type: 'auth.failure', severity: 'medium' });
    }
    expect(seen.map((event) => event.time)).toEqual(instants.map((instant) => new Date(instant).toISOString()));
  });

  it('copies only the fields of an event and of its principal, whatever else the objects given carry', () => {
    const events = new SecurityEvents();
    events.setLogging(false);
    const seen: SecurityEvent[] = [];
    events.subscribe((event) => seen.push(event));
    const user = { kind: 'user' as const, id: 'u-1', clientId: 'spa', email: 'alice@example.com', password: 'hunter2' };
    const input = { type: 'auth.success' as const, severity: 'info' as const, route: 'GET /a', user, principal: user };
    events.emit(input);
    expect(seen[0]).toEqual({
      time: seen[0]!.time,
      type: 'auth.success',
      severity: 'info',
      outcome: 'success',
      route: 'GET /a',
      subject: 'user:u-1',
      principal: { kind: 'user', id: 'u-1', clientId: 'spa' },
    });
    expect(Object.keys(seen[0]!.principal!)).toEqual(['kind', 'id', 'clientId']);
    expect(Object.isFrozen(seen[0]!.principal)).toBe(true);
    expect(JSON.stringify(seen[0])).not.toMatch(/hunter2|alice/);
  });

  it('builds nothing when nobody listens: auth.success is not logged by default', () => {
    const events = new SecurityEvents();
    const log = vi.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    const redactor = vi.fn((value: unknown) => value);
    events.setRedactor(redactor);
    expect(events.wants('auth.success')).toBe(false);
    events.emit({ type: 'auth.success', severity: 'info', details: { a: 1 } });
    expect(redactor).not.toHaveBeenCalled();
    expect(log).not.toHaveBeenCalled();

    const seen: SecurityEvent[] = [];
    const stop = events.subscribe((event) => seen.push(event), ['auth.success']);
    expect(events.wants('auth.success')).toBe(true);
    events.emit({ type: 'auth.success', severity: 'info', details: { a: 1 } });
    expect(seen).toHaveLength(1);
    expect(redactor).toHaveBeenCalledTimes(1);
    stop();
    expect(events.wants('auth.success')).toBe(false);
  });

  it('logs events as structured objects through the Nest Logger, and only the types asked for', () => {
    const events = new SecurityEvents();
    const log = vi.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    events.emit({ type: 'auth.failure', severity: 'medium', requestId: 'req-1', details: { password: 'hunter2' } });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]![0]).toMatchObject({ type: 'auth.failure', requestId: 'req-1' });
    expect(JSON.stringify(warn.mock.calls[0])).not.toContain('hunter2');

    events.setLogging(['auth.success']);
    events.emit({ type: 'auth.failure', severity: 'medium' });
    events.emit({ type: 'auth.success', severity: 'info' });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(log).toHaveBeenCalledTimes(1);
    expect(events.wants('auth.failure')).toBe(false);
  });
});

describe('principalOf', () => {
  it('names users, clients (client-credentials tokens) and API keys, never a credential', () => {
    expect(principalOf({ user: { id: 'u-1', clientId: 'spa', tenantId: 't' } })).toEqual({
      kind: 'user',
      id: 'u-1',
      clientId: 'spa',
      tenantId: 't',
    });
    expect(principalOf({ user: { id: 'svc', clientId: 'svc' } })).toEqual({ kind: 'client', id: 'svc' });
    // auth's client-credentials principal: `sub` is `client:<id>`, the subject stays `client:<id>`.
    expect(principalOf({ user: { id: 'client:svc', kind: 'client', clientId: 'svc' } })).toEqual({
      kind: 'client',
      id: 'svc',
    });
    expect(principalOf({ apiKey: { id: '3f9c0a1b2c3d4e5f', hash: 'x' } })).toEqual({
      kind: 'apikey',
      id: '3f9c0a1b2c3d4e5f',
    });
    expect(principalOf({})).toBeUndefined();
  });
});
