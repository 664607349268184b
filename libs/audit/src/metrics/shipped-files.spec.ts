import { SECURITY_EVENT_TYPES } from '@rampart/core';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuditMetrics } from './audit-metrics';

const root = join(__dirname, '..', '..');
const read = (path: string): string => readFileSync(join(root, path), 'utf8');

describe('files shipped with the package', () => {
  it('the dashboard and the Prometheus rules query only metrics that exist', async () => {
    const metrics = new AuditMetrics('rampart_', undefined, undefined, false);
    const names = new Set((await metrics.registry.getMetricsAsJSON()).map((m) => m.name));
    const queried = `${read('grafana/rampart-security.dashboard.json')}\n${read('prometheus/rampart-alerts.yml')}`;
    const used = new Set(
      [...queried.matchAll(/\brampart_[a-z_]+/g)].map(([name]) => name.replace(/_(bucket|sum|count)$/, '')),
    );
    expect(used.size).toBeGreaterThan(5);
    for (const name of used) expect(names, name).toContain(name);
  });

  it('the event schema knows every event type and every field an event has', () => {
    const schema = JSON.parse(read('schema/audit-event.schema.json')) as {
      properties: Record<string, { enum?: string[] }>;
    };
    expect(schema.properties.type?.enum).toEqual([...SECURITY_EVENT_TYPES]);
    const fields: (keyof import('../audit-event').AuditEvent)[] = [
      'time',
      'type',
      'severity',
      'outcome',
      'reason',
      'requestId',
      'clientIp',
      'route',
      'subject',
      'principal',
      'traceId',
      'details',
      'instance',
      'id',
    ];
    expect(Object.keys(schema.properties).sort()).toEqual([...fields].sort());
  });
});
