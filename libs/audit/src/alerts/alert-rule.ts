import type { SecurityEventType, SecuritySeverity } from '@rampart/core';
import type { AuditEvent } from '../audit-event';

/** What an incident is counted per: an event field, or a function of the event. */
export type AlertGroupBy = 'clientIp' | 'subject' | 'route' | 'type' | ((event: AuditEvent) => string | undefined);

/**
 * An alert over a sliding window: `threshold` matching events for one group within `windowMs`
 * open an incident; handlers hear of it once, and once more when it is over.
 * @publicApi
 */
export interface AlertRule {
  /** Stable name: it keys the incident state in the Store and labels the metric. */
  name: string;
  /** Event types the rule counts. */
  types: readonly SecurityEventType[];
  /** What one incident is about: one client IP, one principal, … */
  groupBy: AlertGroupBy;
  threshold: number;
  windowMs: number;
  /** @default 'high' */
  severity?: SecuritySeverity;
  /** Counts only the events it accepts (e.g. only 429s of the login route). */
  filter?: (event: AuditEvent) => boolean;
}

/** An incident opening (`firing`) or ending (`resolved`), delivered once across every instance. @publicApi */
export interface AlertNotice {
  readonly status: 'firing' | 'resolved';
  readonly rule: string;
  readonly severity: SecuritySeverity;
  /** The group the incident is about, e.g. the client IP. */
  readonly group: string;
  /** Matching events in the window when it fired (firing notices only). */
  readonly count?: number;
  readonly threshold: number;
  readonly windowMs: number;
  /** ISO 8601 time of the notice. */
  readonly time: string;
  /** The (redacted) event that crossed the threshold (firing notices only). */
  readonly event?: AuditEvent;
}

/** Called once per incident opening and once per ending; a throwing handler does not stop the others. @publicApi */
export type AlertHandler = (notice: AlertNotice) => void | Promise<void>;

const MINUTE = 60_000;

/**
 * Ready-made rules from the design notes; each takes overrides.
 * @publicApi
 * @example
 * alerts: { rules: [AlertRules.credentialStuffing(), AlertRules.permissionProbing({ threshold: 50 })] }
 */
export const AlertRules = {
  /** ≥ 10 `auth.failure` from one IP in 10 min: password guessing or credential stuffing. */
  credentialStuffing: (overrides: Partial<AlertRule> = {}): AlertRule => ({
    name: 'credential_stuffing',
    types: ['auth.failure'],
    groupBy: 'clientIp',
    threshold: 10,
    windowMs: 10 * MINUTE,
    ...overrides,
  }),
  /** ≥ 20 `access.denied` for one principal in 5 min: someone probing what they may do. */
  permissionProbing: (overrides: Partial<AlertRule> = {}): AlertRule => ({
    name: 'permission_probing',
    types: ['access.denied'],
    groupBy: 'subject',
    threshold: 20,
    windowMs: 5 * MINUTE,
    ...overrides,
  }),
  /** ≥ 100 `rate_limit.exceeded` (429) from one IP in 1 min: a flood the limiter is holding back. */
  rateLimitBurst: (overrides: Partial<AlertRule> = {}): AlertRule => ({
    name: 'rate_limit_burst',
    types: ['rate_limit.exceeded'],
    groupBy: 'clientIp',
    threshold: 100,
    windowMs: MINUTE,
    severity: 'medium',
    ...overrides,
  }),
  /** Any refused request of a banned or blocked client (from `@rampart/threat`): once per client and window. */
  bannedClient: (overrides: Partial<AlertRule> = {}): AlertRule => ({
    name: 'banned_client',
    types: ['threat.detected'],
    groupBy: 'clientIp',
    threshold: 1,
    windowMs: 10 * MINUTE,
    filter: (event) => event.reason === 'client_banned',
    ...overrides,
  }),
} as const;

/** The group an event belongs to under `groupBy`, or undefined when it has none (not counted). */
export function groupOf(groupBy: AlertGroupBy, event: AuditEvent): string | undefined {
  if (typeof groupBy === 'function') return groupBy(event);
  const value = event[groupBy];
  return typeof value === 'string' && value !== '' ? value : undefined;
}
