import { Body, Controller, Get, NotFoundException, Param, Post, type INestApplication } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { CurrentUser, Public, Scopes, type AuthenticatedUser } from '@rampart/auth';
import { RampartModule, useRampart } from '@rampart/nest';
import { PlainText } from '@rampart/validation';
import { AssertionError } from 'node:assert';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withRampartTesting } from '../rampart-testing';
import { createTestTokens, type TestTokens } from '../test-tokens';
import { assertNoFindings, probeApp } from './route-attacks';
import type { ProbeOptions } from './probe-options';

class CreateNoteDto {
  @PlainText({ maxLength: 100 })
  title!: string;
}

interface Owned {
  id: string;
  owner: string;
  title: string;
}

/** Built right: ownership checked (a stranger's id is a 404), DTO validated. */
@Controller('notes')
@Scopes('notes:read')
class NotesController {
  static readonly notes = new Map<string, Owned>([['n-alice', { id: 'n-alice', owner: 'alice', title: 'mine' }]]);

  @Get(':id')
  get(@Param('id') id: string, @CurrentUser() user: AuthenticatedUser): Owned {
    const note = NotesController.notes.get(id);
    if (!note || note.owner !== user.id) throw new NotFoundException();
    return note;
  }

  @Post()
  @Scopes('notes:write')
  create(@Body() dto: CreateNoteDto, @CurrentUser() user: AuthenticatedUser): Owned {
    return { id: 'n-new', owner: user.id, title: dto.title };
  }
}

/**
 * Planted flaws: an order served to anyone signed in (BOLA), a write taking any JSON, one crashing
 * on unexpected input, a public route nobody declared.
 */
@Controller()
class PlantedController {
  static readonly orders = new Map<string, Owned>([['o-alice', { id: 'o-alice', owner: 'alice', title: 'order' }]]);

  @Get('orders/:id')
  @Scopes('notes:read')
  order(@Param('id') id: string): Owned {
    const order = PlantedController.orders.get(id);
    if (!order) throw new NotFoundException();
    return order;
  }

  @Post('profile')
  @Scopes('notes:write')
  profile(@Body() body: Record<string, unknown>): Record<string, unknown> {
    return body;
  }

  @Post('import')
  @Scopes('notes:write')
  import(@Body() body: { rows?: unknown }): { imported: number } {
    // Trusts its input's shape: anything else than `{ rows: [...] }` is a TypeError, a 500.
    return { imported: (body.rows as unknown[]).length };
  }

  @Get('debug/users')
  @Public()
  users(): string[] {
    return ['alice', 'bob'];
  }

  @Get('health')
  @Public()
  health(): { ok: true } {
    return { ok: true };
  }
}

describe.each(['express', 'fastify'] as const)('probeApp (%s)', (platform) => {
  let app: INestApplication;
  let tokens: TestTokens;
  let options: ProbeOptions;
  beforeAll(async () => {
    tokens = await createTestTokens({ defaultScope: 'notes:read notes:write' });
    const rampart = withRampartTesting(
      {
        auth: { jwt: tokens.jwtOptions(), apiKeys: {} },
        rateLimit: { defaultPolicy: { key: 'ip', tiers: [{ name: 'minute', limit: 100, window: '1m' }] } },
        threat: { mode: 'monitor' },
        validation: {},
      },
      { rateLimit: 'relaxed' },
    );
    const moduleRef = await Test.createTestingModule({
      imports: [RampartModule.forRoot(rampart)],
      controllers: [NotesController, PlantedController],
    }).compile();
    app = moduleRef.createNestApplication(platform === 'fastify' ? new FastifyAdapter() : new ExpressAdapter(), {
      logger: false,
    });
    useRampart(app);
    await app.init();
    if (platform === 'fastify') await (app.getHttpAdapter().getInstance() as { ready(): Promise<unknown> }).ready();
    options = {
      tokens,
      credentials: await tokens.bearer('alice'),
      publicRoutes: ['GET /health'],
      bodies: { 'POST /notes': { title: 'a note' } },
      objects: [
        {
          params: { id: 'n-alice' },
          owner: await tokens.bearer('alice'),
          stranger: await tokens.bearer('bob'),
          routes: ['GET /notes/:id'],
        },
        {
          params: { id: 'o-alice' },
          owner: await tokens.bearer('alice'),
          stranger: await tokens.bearer('bob'),
          routes: ['GET /orders/:id'],
        },
      ],
    };
  });
  afterAll(() => app.close());

  it('finds the planted BOLA route, the undeclared public route and the write that takes anything', async () => {
    const report = await probeApp(app, options);
    const found = report.findings.map((f) => `${f.check} ${f.route}`);
    expect(found).toContain('bola GET /orders/:id');
    expect(found).toContain('unexpected-public GET /debug/users');
    expect(found).toContain('mass-assignment POST /profile');
    expect(found).toContain('hostile-input POST /import');
    // The routes built right are not reported.
    expect(report.findings.filter((f) => f.route === 'GET /notes/:id' || f.route === 'POST /notes')).toEqual([]);
    expect(report.findings.filter((f) => f.route === 'GET /health')).toEqual([]);
    expect(report.findings.filter((f) => f.check === 'inconclusive')).toEqual([]);
    // Every protected route was attacked without and with forged credentials.
    expect(report.coverage).toMatchObject({ unauthenticated: 5, 'forged-credential': 5, bola: 2 });
    expect(() => {
      assertNoFindings(report);
    }).toThrow(AssertionError);
  });

  it('reports a BOLA fixture the owner cannot use as inconclusive, not as a pass', async () => {
    const report = await probeApp(app, {
      ...options,
      checks: ['bola'],
      objects: [{ ...options.objects![0]!, params: { id: 'n-nobody' } }],
    });
    expect(report.findings.map((f) => `${f.check} ${f.route}`)).toEqual(['inconclusive GET /notes/:id']);
  });
});
