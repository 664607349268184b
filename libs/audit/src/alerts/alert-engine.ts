import { createHash } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { SecurityEvent, Store } from '@rampart/core';
import type { AuditEvent } from '../audit-event';
import type { AuditSink } from '../sinks/audit-sink';
import { groupOf, type AlertHandler, type AlertNotice, type AlertRule } from './alert-rule';
import { alertHitScript, alertRecoverScript, HitState } from './alert.scripts';

/** Incidents this instance watches for recovery; past it the oldest are forgotten (another instance may still see them). */
const MAX_WATCHED = 10_000;

interface Watched {
  readonly rule: AlertRule;
  readonly group: string;
  readonly keys: readonly [string, string, string];
}

/**
 * Evaluates alert rules over events, with the windows and incidents in core's Store: every instance
 * counts into the same window, exactly one (the one whose event crossed the threshold) announces an
 * incident, and exactly one (the first to find it over) announces its end. Runs as a queued sink:
 * never on a request's path, and a store outage drops (and counts) evaluations instead of waiting.
 */
export class AlertEngine implements AuditSink {
  readonly name = 'alerts';
  private readonly logger = new Logger('RampartAlerts');
  private readonly watched = new Map<string, Watched>();
  private timer: NodeJS.Timeout | undefined;
  private checking = false;

  constructor(
    private readonly store: Store,
    private readonly rules: readonly AlertRule[],
    private readonly handlers: readonly AlertHandler[],
    private readonly keyPrefix: string,
    private readonly checkIntervalMs: number,
    private readonly onNotice: (notice: AlertNotice) => void,
  ) {}

  /** Whether any rule counts this event type (so the pipeline queues nothing when none does). */
  wants(event: SecurityEvent): boolean {
    return this.rules.some((rule) => rule.types.includes(event.type));
  }

  start(): void {
    if (this.rules.length === 0) return;
    this.timer = setInterval(() => void this.checkRecoveries(), this.checkIntervalMs);
    this.timer.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
  }

  async write(events: readonly AuditEvent[]): Promise<void> {
    for (const event of events) {
      for (const rule of this.rules) {
        if (!rule.types.includes(event.type) || (rule.filter && !rule.filter(event))) continue;
        const group = groupOf(rule.groupBy, event);
        if (group === undefined) continue;
        const keys = this.keys(rule, group);
        const { state, count } = await this.store.run(alertHitScript, keys, [rule.windowMs, rule.threshold]);
        if (state === HitState.Quiet) continue;
        this.watch({ rule, group, keys });
        if (state === HitState.Fired) await this.notify(rule, group, { status: 'firing', count, event });
      }
    }
  }

  /** Claims the end of every watched incident that is over (one instance wins each). */
  async checkRecoveries(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      for (const [id, watched] of this.watched) {
        const [, active, open] = watched.keys;
        let result: -1 | 0 | 1;
        try {
          result = await this.store.run(alertRecoverScript, [active, open], []);
        } catch {
          return; // The store is down: try again at the next tick.
        }
        if (result === 0) continue;
        this.watched.delete(id);
        if (result === 1) await this.notify(watched.rule, watched.group, { status: 'resolved' });
      }
    } finally {
      this.checking = false;
    }
  }

  private watch(watched: Watched): void {
    const id = watched.keys[2];
    this.watched.delete(id);
    this.watched.set(id, watched);
    if (this.watched.size > MAX_WATCHED) this.watched.delete(this.watched.keys().next().value as string);
  }

  private keys(rule: AlertRule, group: string): [string, string, string] {
    // The group is client input (an IP, a subject): hashed, it cannot break out of its hash tag
    // or make keys long; the tag keeps the three keys in one Redis Cluster slot.
    const tag = `{${rule.name}:${createHash('sha256').update(group).digest('base64url').slice(0, 22)}}`;
    const base = `${this.keyPrefix}alert:${tag}`;
    return [`${base}:count`, `${base}:active`, `${base}:open`];
  }

  private async notify(
    rule: AlertRule,
    group: string,
    facts: { status: 'firing' | 'resolved'; count?: number; event?: AuditEvent },
  ): Promise<void> {
    const notice: AlertNotice = Object.freeze({
      status: facts.status,
      rule: rule.name,
      severity: rule.severity ?? 'high',
      group,
      threshold: rule.threshold,
      windowMs: rule.windowMs,
      time: new Date().toISOString(),
      ...(facts.count === undefined ? {} : { count: facts.count }),
      ...(facts.event === undefined ? {} : { event: facts.event }),
    });
    this.onNotice(notice);
    for (const handler of this.handlers) {
      try {
        await handler(notice);
      } catch (error) {
        this.logger.error(`Alert handler failed for ${rule.name} (${facts.status}): ${(error as Error).message}`);
      }
    }
  }
}

/**
 * A handler that logs each notice through the Nest `Logger` (warn when firing, log when resolved).
 * @publicApi
 * @example
 * alerts: { rules: [AlertRules.credentialStuffing()], handlers: [logAlerts()] }
 */
export function logAlerts(): AlertHandler {
  const logger = new Logger('RampartAlerts');
  return (notice) => {
    // The event that crossed the threshold stays out of the line: the incident is the news.
    const facts = { ...notice, event: undefined };
    if (notice.status === 'firing') logger.warn({ alert: facts });
    else logger.log({ alert: facts });
  };
}
