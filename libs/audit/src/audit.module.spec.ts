import { Test, type TestingModule } from '@nestjs/testing';
import { InvalidOptionsError, MemoryStore, RampartCoreModule, SecurityEvents } from '@rampart/core';
import { ValidationError } from '@rampart/errors';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { metricValue, parsePrometheus } from '../../../test/utils/prometheus';
import { AlertRules, type AlertNotice } from './alerts/alert-rule';
import { AlertEngine } from './alerts/alert-engine';
import type { AuditEvent } from './audit-event';
import { AuditModule } from './audit.module';
import type { AuditModuleOptions } from './audit.options';
import { AuditService } from './audit.service';
import { parseAuditQuery } from './history/audit-query';

const TOKEN = 'metrics-token-0123456789';
let moduleRef: TestingModule | undefined;

afterEach(async () => {
  await moduleRef?.close();
  moduleRef = undefined;
});

async function boot(options: AuditModuleOptions = {}): Promise<{ events: SecurityEvents; audit: AuditService }> {
  moduleRef = await Test.createTestingModule({
    imports: [RampartCoreModule.forRoot({ logEvents: false }), AuditModule.forRoot(options)],
  }).compile();
  await moduleRef.init();
  return { events: moduleRef.get(SecurityEvents), audit: moduleRef.get(AuditService) };
}

describe('AuditModule', () => {
  it('listens to every type (auth.success included), counts metrics and keeps a paged, filtered history', async () => {
    const { events, audit } = await boot({ metrics: { token: TOKEN } });
    expect(events.wants('auth.success')).toBe(true);
    for (let i = 0; i < 5; i++) {
      events.emit({ type: 'auth.failure', severity: 'medium', clientIp: '203.0.113.7', reason: 'password_wrong' });
    }
    events.emit({ type: 'auth.success', severity: 'info', principal: { kind: 'user', id: 'u-alice' } });
    events.emit({
      type: 'rate_limit.exceeded',
      severity: 'low',
      details: { policy: 'login', tier: 'burst', degraded: false },
    });

    const first = await audit.query(parseAuditQuery({ type: 'auth.failure', limit: '3' }));
    expect(first.events).toHaveLength(3);
    expect(first.nextCursor).toBeDefined();
    const second = await audit.query(parseAuditQuery({ type: 'auth.failure', limit: '3', cursor: first.nextCursor }));
    expect(second.events).toHaveLength(2);
    expect(second.nextCursor).toBeUndefined();
    const ids = [...first.events, ...second.events].map((e) => e.id);
    expect(new Set(ids).size).toBe(5);
    expect((await audit.query(parseAuditQuery({ subject: 'user:u-alice' }))).events).toHaveLength(1);

    const scrape = await audit.metrics!.scrape(`Bearer ${TOKEN}`);
    expect(scrape.status).toBe(200);
    const families = parsePrometheus(scrape.body);
    expect(metricValue(families, 'rampart_security_events_total', { type: 'auth.failure', outcome: 'failure' })).toBe(
      5,
    );
    expect(metricValue(families, 'rampart_security_events_total', { type: 'auth.success', outcome: 'success' })).toBe(
      1,
    );
    expect(metricValue(families, 'rampart_rate_limit_decisions_total', { policy: 'login', tier: 'burst' })).toBe(1);
  });

  it('counts every event once across scrapes, by type, outcome and severity', async () => {
    const { events, audit } = await boot({ metrics: { token: TOKEN } });
    const count = async (labels: Record<string, string>): Promise<number> =>
      metricValue(
        parsePrometheus((await audit.metrics!.scrape(`Bearer ${TOKEN}`)).body),
        'rampart_security_events_total',
        labels,
      );
    for (let i = 0; i < 3; i++) events.emit({ type: 'auth.failure', severity: 'medium' });
    events.emit({ type: 'auth.failure', severity: 'high' });
    expect(await count({ type: 'auth.failure', severity: 'medium' })).toBe(3);
    expect(await count({ type: 'auth.failure', severity: 'medium' })).toBe(3);
    for (let i = 0; i < 4; i++) events.emit({ type: 'auth.failure', severity: 'medium' });
    expect(await count({ type: 'auth.failure', outcome: 'failure', severity: 'medium' })).toBe(7);
    expect(await count({ type: 'auth.failure', severity: 'high' })).toBe(1);
    const json = await audit.metrics!.registry.getMetricsAsJSON();
    const family = json.find((metric) => metric.name === 'rampart_security_events_total')!;
    expect(family.values.reduce((sum, value) => sum + value.value, 0)).toBe(8);
  });

  it('serves metrics only with the credential, and not at all without one', async () => {
    const { audit } = await boot({ metrics: { token: TOKEN } });
    expect((await audit.metrics!.scrape(undefined)).status).toBe(401);
    expect((await audit.metrics!.scrape(`Bearer ${TOKEN.slice(0, -1)}x`)).status).toBe(401);
    expect((await audit.metrics!.scrape(`Basic ${TOKEN}`)).status).toBe(401);
    await moduleRef!.close();
    const open = await boot({});
    expect((await open.audit.metrics!.scrape(`Bearer ${TOKEN}`)).status).toBe(404);
  });

  it('installs its redactor as the one every event passes', async () => {
    const { events, audit } = await boot({ redaction: { keys: ['ssn'] } });
    events.emit({ type: 'validation.failed', severity: 'low', details: { ssn: '078-05-1120', password: 'p' } });
    const [event] = (await audit.query(parseAuditQuery({}))).events;
    expect(event?.details).toEqual({ ssn: '[REDACTED]', password: '[REDACTED]' });
  });

  it('refuses bad options at bootstrap with AUDIT_INVALID_OPTIONS', async () => {
    const bad: AuditModuleOptions[] = [
      { types: ['auth.nope' as never] },
      { memory: { capacity: 0 } },
      { metrics: { port: 9464, host: '0.0.0.0' } },
      { metrics: { token: 'short' } },
      { alerts: { rules: [AlertRules.credentialStuffing(), AlertRules.credentialStuffing()] } },
      { alerts: { rules: [AlertRules.credentialStuffing({ threshold: 0 })] } },
      { redaction: { patterns: [/x/] } },
      { redis: {} },
    ];
    for (const options of bad) {
      const error = await boot(options).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, JSON.stringify(options)).toBeInstanceOf(InvalidOptionsError);
      expect((error as InvalidOptionsError).code).toBe('AUDIT_INVALID_OPTIONS');
    }
  });
});

describe('parseAuditQuery', () => {
  it('answers malformed input with a 400 VALIDATION_ERROR naming each field', () => {
    let error: unknown;
    try {
      parseAuditQuery({
        type: 'x',
        subject: 'alice',
        clientIp: '<script>',
        cursor: 'abc',
        limit: '1000',
        since: 'soon',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errors.map((e) => e.field).sort()).toEqual(
      ['clientIp', 'cursor', 'limit', 'since', 'subject', 'type'].sort(),
    );
    expect(() => parseAuditQuery({ type: ['auth.failure', 'auth.success'] })).toThrow(ValidationError);
  });
});

describe('AlertEngine on the memory store', () => {
  const event = (clientIp: string): AuditEvent => ({
    time: new Date().toISOString(),
    type: 'auth.failure',
    severity: 'medium',
    outcome: 'failure',
    clientIp,
    instance: 'test',
  });

  it('fires once per incident and group, then resolves once when a window passes quietly', async () => {
    // The store's clock held still and moved by the test: a lagging machine cannot let the window
    // pass before the first recovery check.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const store = new MemoryStore();
      const notices: AlertNotice[] = [];
      const rule = AlertRules.credentialStuffing({ threshold: 10, windowMs: 300 });
      const engine = new AlertEngine(store, [rule], [(n) => void notices.push(n)], 'audit:', 50, () => undefined);
      await engine.write(Array.from({ length: 30 }, () => event('198.51.100.1')));
      await engine.write(Array.from({ length: 9 }, () => event('198.51.100.2')));
      expect(notices.map((n) => [n.status, n.group])).toEqual([['firing', '198.51.100.1']]);
      expect(notices[0]).toMatchObject({ count: 10, threshold: 10 });
      await engine.checkRecoveries();
      expect(notices).toHaveLength(1);
      vi.setSystemTime(Date.now() + 400);
      // lru-cache reuses its reading of the clock for 1 ms (real time): let that lapse.
      await new Promise((resolve) => setTimeout(resolve, 10));
      await engine.checkRecoveries();
      await engine.checkRecoveries();
      expect(notices.map((n) => n.status)).toEqual(['firing', 'resolved']);
      await store.close();
    } finally {
      vi.useRealTimers();
    }
  });
});
