import { Test } from '@nestjs/testing';
import { RampartCoreModule, SecurityEvents } from '@rampart/core';
import pino from 'pino';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { AuditModule } from '../audit.module';
import { AuditService } from '../audit.service';

describe('the log sink on a real pino logger', () => {
  it('writes each event as structured fields with the request id, secrets redacted, auth.success left out', async () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString().trim().split('\n'));
        done();
      },
    });
    const logger = pino({ level: 'info' }, destination);
    const moduleRef = await Test.createTestingModule({
      imports: [RampartCoreModule.forRoot({}), AuditModule.forRoot({ log: { logger } })],
    }).compile();
    await moduleRef.init();
    const events = moduleRef.get(SecurityEvents);
    const jwt = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1LWFsaWNlIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
    events.emit({
      type: 'auth.failure',
      severity: 'medium',
      requestId: 'req-42',
      reason: 'token_invalid',
      details: { header: `Bearer ${jwt}`, client_secret: 's3cr3t-value' },
    });
    events.emit({ type: 'auth.success', severity: 'info', requestId: 'req-43' });
    await moduleRef.get(AuditService).flush();
    await moduleRef.close();

    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!) as { level: number; msg: string; securityEvent: Record<string, unknown> };
    expect(line.level).toBe(40);
    expect(line.securityEvent).toMatchObject({ type: 'auth.failure', requestId: 'req-42', outcome: 'failure' });
    expect(lines[0]).not.toContain('s3cr3t-value');
    expect(lines[0]).not.toContain(jwt.split('.')[1]);
  });
});
