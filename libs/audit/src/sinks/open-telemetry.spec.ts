import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Test, type TestingModule } from '@nestjs/testing';
import { RampartCoreModule, SecurityEvents } from '@rampart/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AuditModule } from '../audit.module';
import type { AuditModuleOptions } from '../audit.options';
import { AuditService } from '../audit.service';
import { parseAuditQuery } from '../history/audit-query';

// The real OpenTelemetry SDK, registered globally as an application would: the bridge finds it
// through `@opentelemetry/api` (an optional peer) and nothing else.
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const contextManager = new AsyncLocalStorageContextManager();
const tracer = () => trace.getTracer('rampart-audit-spec');

let moduleRef: TestingModule | undefined;

async function boot(options: AuditModuleOptions = {}): Promise<{ events: SecurityEvents; audit: AuditService }> {
  moduleRef = await Test.createTestingModule({
    imports: [RampartCoreModule.forRoot({ logEvents: false }), AuditModule.forRoot(options)],
  }).compile();
  await moduleRef.init();
  return { events: moduleRef.get(SecurityEvents), audit: moduleRef.get(AuditService) };
}

describe('AuditModule with OpenTelemetry', () => {
  beforeAll(() => {
    context.setGlobalContextManager(contextManager.enable());
    trace.setGlobalTracerProvider(provider);
  });
  afterAll(async () => {
    await provider.shutdown();
    trace.disable();
    context.disable();
  });
  afterEach(async () => {
    exporter.reset();
    await moduleRef?.close();
    moduleRef = undefined;
  });

  it('adds each event to the active span and stamps its trace id on the recorded event', async () => {
    const { events, audit } = await boot();
    const traceId = await tracer().startActiveSpan('POST /oauth/login', async (span) => {
      // An await between the request's start and the event: the context follows the request.
      await new Promise((resolve) => setImmediate(resolve));
      events.emit({
        type: 'auth.failure',
        severity: 'medium',
        clientIp: '203.0.113.7',
        route: '/oauth/login',
        reason: 'password_wrong',
        principal: { kind: 'user', id: 'u-alice' },
        details: { password: 'hunter2-never-in-a-span' },
      });
      span.end();
      return span.spanContext().traceId;
    });

    const [span] = exporter.getFinishedSpans();
    expect(span?.events.map((e) => e.name)).toEqual(['rampart.auth.failure']);
    const attributes = span!.events[0]!.attributes!;
    expect(attributes).toMatchObject({
      'rampart.severity': 'medium',
      'rampart.outcome': 'failure',
      'rampart.reason': 'password_wrong',
      'client.address': '203.0.113.7',
      'http.route': '/oauth/login',
    });
    expect(attributes['enduser.id']).toContain('u-alice');
    // Details (where secrets could hide) never become span attributes.
    expect(JSON.stringify(span!.events)).not.toContain('hunter2');

    const [recorded] = (await audit.query(parseAuditQuery({ type: 'auth.failure' }))).events;
    expect(recorded?.traceId).toBe(traceId);
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('records no trace id outside a span, and none when the option is off', async () => {
    const { events, audit } = await boot();
    events.emit({ type: 'access.denied', severity: 'low', reason: 'scope_missing' });
    const [outside] = (await audit.query(parseAuditQuery({}))).events;
    expect(outside?.traceId).toBeUndefined();
    await moduleRef!.close();

    const off = await boot({ openTelemetry: false });
    tracer().startActiveSpan('GET /notes', (span) => {
      off.events.emit({ type: 'access.denied', severity: 'low', reason: 'scope_missing' });
      span.end();
    });
    expect(exporter.getFinishedSpans()[0]?.events).toEqual([]);
    const [inside] = (await off.audit.query(parseAuditQuery({}))).events;
    expect(inside?.traceId).toBeUndefined();
  });
});
