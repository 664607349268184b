import { Logger } from '@nestjs/common';
import type { SecurityEventType } from '@rampart/core';
import type { AuditEvent } from '../audit-event';
import type { PinoLike } from '../audit.options';
import type { AuditSink } from './audit-sink';

/**
 * Events as structured objects: fields of a pino line (`requestId` beside pino-http's own `req.id`;
 * set nestjs-pino's `genReqId` to Rampart's id to make them one), or the message object of the Nest
 * `Logger` (a JSON line with `ConsoleLogger({ json: true })`).
 */
export class LoggerAuditSink implements AuditSink {
  readonly name = 'log';
  private readonly nest = new Logger('SecurityEvent');

  constructor(
    private readonly pino: PinoLike | undefined,
    private readonly types: ReadonlySet<SecurityEventType>,
  ) {}

  write(events: readonly AuditEvent[]): void {
    for (const event of events) {
      if (!this.types.has(event.type)) continue;
      const quiet = event.severity === 'info' || event.severity === 'low';
      if (this.pino) {
        if (quiet) this.pino.info({ securityEvent: event }, `security event ${event.type}`);
        else this.pino.warn({ securityEvent: event }, `security event ${event.type}`);
      } else if (quiet) {
        this.nest.log(event);
      } else {
        this.nest.warn(event);
      }
    }
  }
}
