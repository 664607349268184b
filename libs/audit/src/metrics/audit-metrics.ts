import { constantTimeEqual, type SecurityEvent } from '@rampart/core';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** What a scrape answers: the Prometheus text, or a refusal. @publicApi */
export interface ScrapeResult {
  readonly status: 200 | 401 | 404;
  readonly contentType: string;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
}

interface EventLabels {
  type: string;
  outcome: string;
  severity: string;
}

interface ThreatDetails {
  decision?: unknown;
  findings?: { category?: unknown }[];
}

const label = (value: unknown, fallback = 'unknown'): string =>
  typeof value === 'string' && /^[A-Za-z0-9_.:-]{1,64}$/.test(value) ? value : fallback;

/**
 * The audit metrics, in a registry of their own (not prom-client's global one, which an app may
 * expose publicly). Labels are closed sets (types, outcomes, policy and tier names, categories):
 * never a subject or an IP, which would let clients grow the series without bound.
 * @publicApi
 */
export class AuditMetrics {
  readonly registry: Registry;
  private readonly events: Counter<'type' | 'outcome' | 'severity'>;
  private readonly rateLimited: Counter<'policy' | 'tier'>;
  private readonly threats: Counter<'category' | 'action'>;
  private readonly storeUp: Gauge;
  private readonly degraded: Gauge;
  private readonly degradedSeconds: Counter;
  private readonly dropped: Counter<'sink'>;
  private readonly alerts: Counter<'rule' | 'status'>;
  private readonly pipeline: Histogram<'stage'>;
  /**
   * Events per series of `security_events_total`, handed to prom-client when it collects (a
   * scrape): its `inc` hashes and checks the labels on every call, and this one runs for every
   * event on the request path. Bounded: the labels are closed sets (type × outcome × severity).
   */
  private readonly eventCounts = new Map<string, { labels: EventLabels; count: number }>();
  private degradedSince: number | undefined;

  constructor(
    prefix: string,
    registry: Registry | undefined,
    private readonly token: string | undefined,
    defaultMetrics: boolean,
  ) {
    this.registry = registry ?? new Registry();
    const registers = [this.registry];
    this.events = new Counter({
      name: `${prefix}security_events_total`,
      help: 'Security events by type, outcome and severity.',
      labelNames: ['type', 'outcome', 'severity'],
      registers,
      collect: () => {
        for (const series of this.eventCounts.values()) {
          if (series.count === 0) continue;
          this.events.inc(series.labels, series.count);
          series.count = 0;
        }
      },
    });
    this.rateLimited = new Counter({
      name: `${prefix}rate_limit_decisions_total`,
      help: 'Requests refused by the rate limiter (429), by policy and the tier that refused.',
      labelNames: ['policy', 'tier'],
      registers,
    });
    this.threats = new Counter({
      name: `${prefix}threat_findings_total`,
      help: 'Threat findings by category and the action taken on the request.',
      labelNames: ['category', 'action'],
      registers,
    });
    this.storeUp = new Gauge({
      name: `${prefix}store_up`,
      help: "1 when core's Store answered its last health probe, 0 when not.",
      registers,
    });
    this.degraded = new Gauge({
      name: `${prefix}rate_limit_degraded`,
      help: '1 while the rate limiter runs on its per-instance fallback because the store fails.',
      registers,
    });
    this.degradedSeconds = new Counter({
      name: `${prefix}rate_limit_degraded_seconds_total`,
      help: 'Time the rate limiter spent degraded (store unavailable), counted at recovery.',
      registers,
    });
    this.dropped = new Counter({
      name: `${prefix}audit_dropped_events_total`,
      help: 'Events a sink could not take (queue full or write failed).',
      labelNames: ['sink'],
      registers,
    });
    this.alerts = new Counter({
      name: `${prefix}alerts_total`,
      help: 'Alert notices delivered by this instance, by rule and status (firing, resolved).',
      labelNames: ['rule', 'status'],
      registers,
    });
    this.pipeline = new Histogram({
      name: `${prefix}audit_pipeline_seconds`,
      help: "The audit pipeline's own latency: dispatch (on the request path) and each sink's writes (off it).",
      labelNames: ['stage'],
      buckets: [0.000_005, 0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_5, 0.001, 0.005, 0.025, 0.1, 0.5],
      registers,
    });
    if (defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix });
  }

  record(event: SecurityEvent): void {
    const { type, outcome, severity } = event;
    const key = `${type} ${outcome} ${severity}`;
    const series = this.eventCounts.get(key);
    if (series) series.count++;
    else this.eventCounts.set(key, { labels: { type, outcome, severity }, count: 1 });
    const details = event.details ?? {};
    if (type === 'rate_limit.exceeded') {
      this.rateLimited.inc({ policy: label(details.policy), tier: label(details.tier) });
    } else if (type === 'threat.detected') {
      const { decision, findings } = details as ThreatDetails;
      const action = label(decision);
      if (Array.isArray(findings) && findings.length > 0) {
        for (const finding of findings) this.threats.inc({ category: label(finding.category), action });
      } else {
        this.threats.inc({ category: label(event.reason), action });
      }
    } else if (type === 'rate_limit.degraded') {
      this.degradedSince ??= Date.now();
      this.degraded.set(1);
    } else if (type === 'rate_limit.recovered') {
      const ms =
        typeof details.degradedForMs === 'number'
          ? details.degradedForMs
          : Date.now() - (this.degradedSince ?? Date.now());
      this.degradedSince = undefined;
      this.degraded.set(0);
      this.degradedSeconds.inc(ms / 1000);
    }
  }

  observe(stage: string, seconds: number): void {
    this.pipeline.observe({ stage }, seconds);
  }

  droppedEvents(sink: string, count: number): void {
    this.dropped.inc({ sink }, count);
  }

  alert(rule: string, status: 'firing' | 'resolved'): void {
    this.alerts.inc({ rule, status });
  }

  storeHealth(up: boolean): void {
    this.storeUp.set(up ? 1 : 0);
  }

  /**
   * Answers a scrape: `authorization` must be `Bearer <metrics.token>` (compared in constant
   * time); with no token configured, the endpoint does not exist (404): never public by default.
   * @example
   * @Public() @Get('metrics') async metrics(@Headers('authorization') a: string, @Res() res: Response) {
   *   const r = await this.metrics.scrape(a); res.status(r.status).set(r.headers).type(r.contentType).send(r.body);
   * }
   */
  async scrape(authorization: string | undefined): Promise<ScrapeResult> {
    if (this.token === undefined) return { status: 404, contentType: 'text/plain', body: 'Not found\n', headers: {} };
    const presented = /^Bearer ([\x21-\x7e]{1,512})$/.exec(authorization ?? '')?.[1];
    if (presented === undefined || !constantTimeEqual(presented, this.token)) {
      return {
        status: 401,
        contentType: 'text/plain',
        body: 'Unauthorized\n',
        headers: { 'WWW-Authenticate': 'Bearer realm="metrics"' },
      };
    }
    return {
      status: 200,
      contentType: this.registry.contentType,
      body: await this.registry.metrics(),
      headers: { 'Cache-Control': 'no-store' },
    };
  }
}
