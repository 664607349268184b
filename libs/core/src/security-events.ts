import { Injectable, Logger } from '@nestjs/common';

/** Every kind of event Rampart's libs report. Names are public API: they never change meaning. */
export type SecurityEventType =
  | 'auth.success'
  | 'auth.failure'
  | 'access.denied'
  | 'rate_limit.exceeded'
  | 'rate_limit.degraded'
  | 'rate_limit.recovered'
  | 'validation.failed'
  | 'threat.detected'
  | 'client.banned'
  | 'client.unbanned'
  | 'token.issued'
  | 'token.refreshed'
  | 'token.revoked'
  | 'token.reuse_detected'
  | 'api_key.created'
  | 'api_key.rotated'
  | 'api_key.revoked'
  | 'webhook.rejected'
  | 'request.error';

export type SecuritySeverity = 'info' | 'low' | 'medium' | 'high' | 'critical';

export interface SecurityEvent {
  type: SecurityEventType;
  severity: SecuritySeverity;
  /** ISO 8601 time the event was emitted. */
  timestamp: string;
  requestId?: string;
  clientIp?: string;
  /** The authenticated subject (user id, client id or API key id), never a credential. */
  subject?: string;
  /** Route template, e.g. `GET /notes/:id`. */
  route?: string;
  /** A stable machine-readable reason, e.g. `token_expired`. */
  reason?: string;
  /** Anything else; redacted before it reaches a sink. */
  details?: Record<string, unknown>;
}

export type SecurityEventInput = Omit<SecurityEvent, 'timestamp'>;
export type SecurityEventListener = (event: Readonly<SecurityEvent>) => void;

/** Keys whose values are never logged, whatever their shape. */
const SECRET_KEY =
  /pass(word|phrase)?|secret|token|authorization|cookie|api[-_]?key|credential|code_verifier|^code$|signature|session/i;
/** Values that look like a bearer credential (a JWT) are hidden even under an innocent key. */
const JWT_LIKE = /^eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+\./;
const MAX_STRING = 256;
const MAX_ITEMS = 20;
const MAX_DEPTH = 4;

/** A copy of `value` safe to log: secrets replaced, strings, arrays and depth bounded. */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') {
    if (JWT_LIKE.test(value)) return '[REDACTED]';
    return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}…[${value.length - MAX_STRING} more]` : value;
  }
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[…]';
  if (Array.isArray(value)) {
    const items = value.slice(0, MAX_ITEMS).map((item) => redact(item, depth + 1));
    if (value.length > MAX_ITEMS) items.push(`…[${value.length - MAX_ITEMS} more]`);
    return items;
  }
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value).slice(0, MAX_ITEMS)) {
    out[key] = SECRET_KEY.test(key) ? '[REDACTED]' : redact(item, depth + 1);
  }
  return out;
}

/**
 * The one channel for security events. Libs call `emit`; sinks `subscribe`. By default each event
 * is also logged as one line of redacted JSON. A failing listener never fails the request.
 */
@Injectable()
export class SecurityEvents {
  private readonly logger = new Logger('SecurityEvent');
  private readonly listeners = new Set<SecurityEventListener>();
  private logToConsole = true;

  /** Turns the default JSON log line off (for an application that ships events elsewhere). */
  setLogging(enabled: boolean): void {
    this.logToConsole = enabled;
  }

  /** @returns a function that removes the listener. */
  subscribe(listener: SecurityEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(input: SecurityEventInput): void {
    const event: SecurityEvent = { ...input, timestamp: new Date().toISOString() };
    if (event.details) event.details = redact(event.details) as Record<string, unknown>;
    const frozen = Object.freeze(event);
    if (this.logToConsole) {
      const line = JSON.stringify(frozen);
      if (event.severity === 'info' || event.severity === 'low') this.logger.log(line);
      else this.logger.warn(line);
    }
    for (const listener of this.listeners) {
      try {
        listener(frozen);
      } catch (error) {
        this.logger.error(`A security event listener threw: ${(error as Error).message}`);
      }
    }
  }
}
