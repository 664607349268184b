import {
  createRedactor,
  InvalidOptionsError,
  SECURITY_EVENT_TYPES,
  type RedactionOptions,
  type Redactor,
  type SecurityEventType,
} from '@rampart/core';
import { hostname } from 'node:os';
import type { Registry } from 'prom-client';
import type { AlertHandler, AlertRule } from './alerts/alert-rule';
import type { RedisStreamConnection } from './sinks/redis-stream.sink';

/** Anything with pino's `info(obj, msg)` / `warn(obj, msg)` (pino, a nestjs-pino `PinoLogger`, …). */
export interface PinoLike {
  info(object: object, message?: string): void;
  warn(object: object, message?: string): void;
}

/** Options of {@link AuditModule}. Every sink is optional. @publicApi */
export interface AuditModuleOptions {
  /** Event types recorded (sinks, metrics, alerts). @default every type, `auth.success` included */
  types?: readonly SecurityEventType[];
  /** Rules over core's default redaction; they become the one redactor every event passes. */
  redaction?: RedactionOptions;
  /**
   * Log events as structured objects through a pino logger (nestjs-pino's `PinoLogger` works), or
   * the Nest `Logger` when `logger` is absent. When set, core's own event log line is turned off
   * (one line per event). `types` narrows what is logged: `auth.success` is left out by default.
   * @default false (core's log line stays as `RampartCoreModule`'s `logEvents` sets it)
   */
  log?: false | { logger?: PinoLike; types?: readonly SecurityEventType[] };
  /** The last `capacity` events of this instance, in memory: queryable when Redis is not configured. @default { capacity: 1000 } */
  memory?: false | { capacity?: number };
  /**
   * A Redis stream every instance appends to (`XADD`, then `XTRIM … MAXLEN ~ maxLength`): one
   * history, bounded. Give a `url`, Cluster start-up nodes (`cluster`) or a Sentinel-managed primary
   * (`sentinel`), as core's Redis store takes them (a connection is opened and closed by the
   * module), or your own ioredis client or Cluster (`client`, never closed by the module). Events
   * are written in batches, one script call each, at most one every `batchDelayMs` (default 50):
   * an event after a quiet spell goes at once, the next ones wait for that delay, 200 go at once.
   * @default false
   */
  redis?: false | (RedisStreamConnection & { stream?: string; maxLength?: number; batchDelayMs?: number });
  /** Events waiting for a slow sink; past it they are dropped and counted, never awaited. @default 10000 */
  queueCapacity?: number;
  /** Span events on the active OpenTelemetry span, when `@opentelemetry/api` is installed. @default true */
  openTelemetry?: boolean;
  /**
   * Prometheus metrics. Collected by default, served by no endpoint unless asked: `port` starts a
   * separate server (on `host`, loopback by default); `token` protects it, and `AuditMetrics.scrape()`
   * for a route of your own, with a bearer credential compared in constant time.
   * @default { prefix: 'rampart_' }
   */
  metrics?:
    | false
    | { prefix?: string; registry?: Registry; port?: number; host?: string; token?: string; defaultMetrics?: boolean };
  /** Alert rules, evaluated across instances with state in core's Store, and who hears of incidents. */
  alerts?: { rules?: readonly AlertRule[]; handlers?: readonly AlertHandler[]; checkIntervalMs?: number };
  /** Key prefix of the alert state in core's Store. @default 'audit:' */
  keyPrefix?: string;
  /** This instance's name in recorded events. @default `${hostname()}:${process.pid}` */
  instance?: string;
}

export interface ResolvedAuditOptions {
  readonly types: ReadonlySet<SecurityEventType>;
  readonly redactor: Redactor;
  readonly log: false | { readonly logger: PinoLike | undefined; readonly types: ReadonlySet<SecurityEventType> };
  readonly memory: false | { readonly capacity: number };
  readonly redis: false | Readonly<RedisStreamConnection & { stream: string; maxLength: number; batchDelayMs: number }>;
  readonly queueCapacity: number;
  readonly openTelemetry: boolean;
  readonly metrics:
    | false
    | {
        readonly prefix: string;
        readonly registry: Registry | undefined;
        readonly port: number | undefined;
        readonly host: string;
        readonly token: string | undefined;
        readonly defaultMetrics: boolean;
      };
  readonly alerts: {
    readonly rules: readonly AlertRule[];
    readonly handlers: readonly AlertHandler[];
    readonly checkIntervalMs: number;
  };
  readonly keyPrefix: string;
  readonly instance: string;
}

const fail = (message: string): never => {
  throw new InvalidOptionsError('AUDIT_INVALID_OPTIONS', message);
};

function positiveInteger(name: string, value: number | undefined, fallback: number, max = 10_000_000): number {
  const n = value ?? fallback;
  if (!Number.isSafeInteger(n) || n <= 0 || n > max) fail(`${name} must be a whole number from 1 to ${max}, got ${n}.`);
  return n;
}

function nonNegativeInteger(name: string, value: number | undefined, fallback: number, max: number): number {
  const n = value ?? fallback;
  if (!Number.isSafeInteger(n) || n < 0 || n > max) fail(`${name} must be a whole number from 0 to ${max}, got ${n}.`);
  return n;
}

function eventTypes(name: string, types: readonly SecurityEventType[] | undefined): ReadonlySet<SecurityEventType> {
  if (types === undefined) return new Set(SECURITY_EVENT_TYPES);
  if (!Array.isArray(types)) fail(`${name} must be a list of event types.`);
  const unknown = types.filter((type: string) => !(SECURITY_EVENT_TYPES as readonly string[]).includes(type));
  if (unknown.length > 0) {
    fail(`${name} lists unknown event types: ${unknown.join(', ')}. Known: ${SECURITY_EVENT_TYPES.join(', ')}.`);
  }
  return new Set(types);
}

const RULE_NAME = /^[a-z][a-z0-9_]{0,63}$/;

function checkRules(rules: readonly AlertRule[]): readonly AlertRule[] {
  const names = new Set<string>();
  for (const rule of rules) {
    if (!RULE_NAME.test(rule.name))
      fail(`Alert rule name "${rule.name}" must be snake_case (it names keys and metrics).`);
    if (names.has(rule.name)) fail(`Two alert rules are named "${rule.name}".`);
    names.add(rule.name);
    eventTypes(`Alert rule "${rule.name}" types`, rule.types);
    if (rule.types.length === 0) fail(`Alert rule "${rule.name}" counts no event type.`);
    positiveInteger(`Alert rule "${rule.name}" threshold`, rule.threshold, 1);
    positiveInteger(`Alert rule "${rule.name}" windowMs`, rule.windowMs, 1, 7 * 24 * 3_600_000);
    const groupBy: unknown = rule.groupBy;
    if (typeof groupBy !== 'function' && !['clientIp', 'subject', 'route', 'type'].includes(groupBy as string)) {
      fail(`Alert rule "${rule.name}" groupBy must be clientIp, subject, route, type or a function.`);
    }
  }
  return Object.freeze([...rules]);
}

export function resolveAuditOptions(raw: AuditModuleOptions = {}): ResolvedAuditOptions {
  let redactor: Redactor;
  try {
    redactor = createRedactor(raw.redaction);
  } catch (error) {
    return fail(`redaction: ${(error as Error).message}`);
  }
  const log = raw.log
    ? Object.freeze({
        logger: raw.log.logger,
        types: eventTypes('log.types', raw.log.types ?? SECURITY_EVENT_TYPES.filter((type) => type !== 'auth.success')),
      })
    : false;
  const memory =
    raw.memory === false
      ? false
      : Object.freeze({ capacity: positiveInteger('memory.capacity', raw.memory?.capacity, 1000, 1_000_000) });
  let redis: ResolvedAuditOptions['redis'] = false;
  if (raw.redis) {
    const { url, cluster, sentinel, client } = raw.redis;
    if (!url && !cluster && !sentinel && !client) fail('redis needs a url, cluster, sentinel or client.');
    redis = Object.freeze({
      ...(url === undefined ? {} : { url }),
      ...(cluster === undefined ? {} : { cluster }),
      ...(sentinel === undefined ? {} : { sentinel }),
      ...(client === undefined ? {} : { client }),
      stream: raw.redis.stream ?? 'rampart:audit:events',
      maxLength: positiveInteger('redis.maxLength', raw.redis.maxLength, 100_000),
      batchDelayMs: nonNegativeInteger('redis.batchDelayMs', raw.redis.batchDelayMs, 50, 1_000),
    });
  }
  let metrics: ResolvedAuditOptions['metrics'] = false;
  if (raw.metrics !== false) {
    const m = raw.metrics ?? {};
    const prefix = m.prefix ?? 'rampart_';
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(prefix))
      fail(`metrics.prefix "${prefix}" is not a Prometheus metric name prefix.`);
    const host = m.host ?? '127.0.0.1';
    const loopback = host === '127.0.0.1' || host === '::1' || host === 'localhost';
    // Metrics reveal traffic, users' activity and attacks in progress: beyond loopback, only with a credential.
    if (m.port !== undefined && !loopback && !m.token) {
      fail(`metrics.port on host ${host} needs metrics.token: metrics are never public.`);
    }
    if (m.token !== undefined && m.token.length < 16) fail('metrics.token must be at least 16 characters.');
    metrics = Object.freeze({
      prefix,
      registry: m.registry,
      port: m.port === undefined ? undefined : positiveInteger('metrics.port', m.port, 1, 65_535),
      host,
      token: m.token,
      defaultMetrics: m.defaultMetrics ?? false,
    });
  }
  const alerts = Object.freeze({
    rules: checkRules(raw.alerts?.rules ?? []),
    handlers: Object.freeze([...(raw.alerts?.handlers ?? [])]),
    checkIntervalMs: positiveInteger('alerts.checkIntervalMs', raw.alerts?.checkIntervalMs, 5_000, 3_600_000),
  });
  return Object.freeze({
    types: eventTypes('types', raw.types),
    redactor,
    log,
    memory,
    redis,
    queueCapacity: positiveInteger('queueCapacity', raw.queueCapacity, 10_000),
    openTelemetry: raw.openTelemetry ?? true,
    metrics,
    alerts,
    keyPrefix: raw.keyPrefix ?? 'audit:',
    instance: raw.instance ?? `${hostname()}:${process.pid}`,
  });
}
