import { SECURITY_EVENT_TYPES, type SecurityEventType } from '@rampart/core';
import { ValidationError, type FieldError } from '@rampart/errors';
import type { AuditEvent } from '../audit-event';

/** A question to the event history. @publicApi */
export interface AuditQuery {
  readonly type?: SecurityEventType;
  /** `user:<id>`, `client:<id>` or `apikey:<id>`. */
  readonly subject?: string;
  readonly clientIp?: string;
  /** Milliseconds since the epoch, inclusive. */
  readonly since?: number;
  readonly until?: number;
  /** From a previous page's `nextCursor`. */
  readonly cursor?: string;
  /** 1 to 100. */
  readonly limit: number;
}

/** One page of history, newest first; `nextCursor` when there may be more. @publicApi */
export interface AuditPage {
  readonly events: readonly AuditEvent[];
  readonly nextCursor?: string;
}

export function matches(event: AuditEvent, query: AuditQuery): boolean {
  return (
    (query.type === undefined || event.type === query.type) &&
    (query.subject === undefined || event.subject === query.subject) &&
    (query.clientIp === undefined || event.clientIp === query.clientIp)
  );
}

// Short, fixed alphabets: a query string is client input (admin or not) and ends up in Redis commands.
const SUBJECT = /^(user|client|apikey):[A-Za-z0-9._:@-]{1,128}$/;
const IP = /^[0-9A-Fa-f.:]{2,45}$/;
/** A Redis stream id (`<ms>-<seq>`) or a ring-buffer sequence number. */
const CURSOR = /^\d{1,16}(-\d{1,16})?$/;

/**
 * Parses a query from strings (a request's query parameters): anything malformed is a
 * 400 VALIDATION_ERROR naming the field, never a 500 or a scan of the whole history.
 * @publicApi
 * @example
 * @Get('events') events(@Query() q: Record<string, string>) { return this.history.query(parseAuditQuery(q)); }
 */
export function parseAuditQuery(raw: Readonly<Record<string, unknown>>): AuditQuery {
  const errors: FieldError[] = [];
  const text = (field: string): string | undefined => {
    const value = raw[field];
    if (value === undefined || value === '') return undefined;
    if (typeof value !== 'string') {
      errors.push({ field, message: `${field} must be given once, as text.` });
      return undefined;
    }
    return value;
  };
  const time = (field: string): number | undefined => {
    const value = text(field);
    if (value === undefined) return undefined;
    const ms = /^\d{1,16}$/.test(value) ? Number(value) : Date.parse(value);
    if (Number.isNaN(ms))
      errors.push({ field, message: `${field} must be an ISO 8601 time or milliseconds since the epoch.` });
    return ms;
  };
  const type = text('type');
  if (type !== undefined && !(SECURITY_EVENT_TYPES as readonly string[]).includes(type)) {
    errors.push({ field: 'type', message: `type must be one of: ${SECURITY_EVENT_TYPES.join(', ')}.` });
  }
  const subject = text('subject');
  if (subject !== undefined && !SUBJECT.test(subject)) {
    errors.push({ field: 'subject', message: 'subject must be user:<id>, client:<id> or apikey:<id>.' });
  }
  const clientIp = text('clientIp');
  if (clientIp !== undefined && !IP.test(clientIp))
    errors.push({ field: 'clientIp', message: 'clientIp must be an IP address.' });
  const cursor = text('cursor');
  if (cursor !== undefined && !CURSOR.test(cursor))
    errors.push({ field: 'cursor', message: 'cursor must come from nextCursor.' });
  const limitText = text('limit');
  const limit = limitText === undefined ? 50 : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    errors.push({ field: 'limit', message: 'limit must be a whole number from 1 to 100.' });
  }
  const since = time('since');
  const until = time('until');
  if (errors.length > 0) throw new ValidationError(errors);
  return {
    ...(type === undefined ? {} : { type: type as SecurityEventType }),
    ...(subject === undefined ? {} : { subject }),
    ...(clientIp === undefined ? {} : { clientIp }),
    ...(since === undefined ? {} : { since }),
    ...(until === undefined ? {} : { until }),
    ...(cursor === undefined ? {} : { cursor }),
    limit,
  };
}
