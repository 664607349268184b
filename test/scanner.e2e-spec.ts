import { Body, Controller, Get, Module, Param, Post, Res, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { cookieRules, run, scan, toSarif, type ScanReport } from '@rampart/scanner';
import { Ajv } from 'ajv';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from './utils/test-app';

/** A Nest app as `nest new` makes it, with a few routes and no Rampart. */
@Controller()
class BareController {
  @Get()
  hello(): string {
    return 'Hello World!';
  }

  @Get('items/:id')
  item(@Param('id') id: string): { id: string } {
    return { id };
  }

  @Post('items')
  create(@Body() body: unknown): unknown {
    return body;
  }

  @Get('crash')
  crash(): never {
    throw new Error('connect ECONNREFUSED 10.0.0.5:5432');
  }
}

@Module({ controllers: [BareController] })
class BareModule {}

/** Cookies as tutorials set them: a session without flags, shared with subdomains, broken prefixes. */
@Controller()
class CookieController {
  @Get()
  home(@Res() res: ServerResponse): void {
    res.setHeader('Set-Cookie', [
      'connect.sid=s%3Alive-session-value; Path=/',
      'remember_me=1; Path=/; Domain=127.0.0.1; HttpOnly; SameSite=Lax',
      '__Host-auth=x; Path=/api; HttpOnly; SameSite=Lax',
      'tracking=1; Path=/; HttpOnly; SameSite=None',
    ]);
    res.setHeader('Content-Type', 'application/json');
    res.end('{"ok":true}');
  }

  @Get('login')
  login(@Res() res: ServerResponse): void {
    // A new session value on every answer is still one cookie to fix.
    res.setHeader('Set-Cookie', `connect.sid=s%3A${Math.random()}; Path=/`);
    res.setHeader('Content-Type', 'application/json');
    res.end('{"ok":true}');
  }
}

@Module({ controllers: [CookieController] })
class CookieModule {}

/** What the bare app's documentation claims: every route but the root needs a bearer token. */
const BARE_OPENAPI = {
  openapi: '3.1.0',
  info: { title: 'bare', version: '1' },
  security: [{ bearer: [] }],
  components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
  paths: {
    '/': { get: { security: [], responses: { '200': { description: 'ok' } } } },
    '/items': {
      post: { requestBody: { content: { 'application/json': {} } }, responses: { '201': { description: 'ok' } } },
    },
    '/items/{id}': { get: { responses: { '200': { description: 'ok' } } } },
    '/crash': { get: { responses: { '200': { description: 'ok' } } } },
  },
};

async function listen(app: INestApplication): Promise<string> {
  await app.listen(0, '127.0.0.1');
  return `http://127.0.0.1:${((app.getHttpServer() as Server).address() as AddressInfo).port}`;
}

function sarifValidator() {
  // The OASIS SARIF 2.1.0 schema, as @microsoft/jest-sarif ships it.
  const schemaFile = createRequire(__filename).resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json');
  const schema = JSON.parse(readFileSync(schemaFile, 'utf8')) as Record<string, unknown>;
  // A draft-04 document that uses no keyword draft-07 changed but the root `id`: Ajv 8 reads it as is
  // (one of its patterns, `[a-zA-Z]{2}]?`, is valid only without the u flag).
  delete schema.$schema;
  delete schema.id;
  return new Ajv({ allErrors: true, strict: false, validateFormats: false, unicodeRegExp: false }).compile(schema);
}

const rulesOf = (report: ScanReport) => [...new Set(report.findings.map((f) => f.rule))].sort();

describe('rampart scan', () => {
  let sample: TestApp;
  let sampleUrl: string;
  let sampleDocument: unknown;
  let bare: INestApplication;
  let bareUrl: string;
  let cookies: INestApplication;
  let cookiesUrl: string;

  beforeAll(async () => {
    sample = await startApp('express');
    sampleUrl = await listen(sample.app);
    sampleDocument = (await request(sample.server).get('/docs-json').expect(200)).body;
    // The CORS setting copied from many tutorials: every origin reflected, with credentials.
    bare = await NestFactory.create(BareModule, { logger: false, cors: { origin: true, credentials: true } });
    bareUrl = await listen(bare);
    cookies = await NestFactory.create(CookieModule, { logger: false });
    cookiesUrl = await listen(cookies);
  }, 60_000);
  afterAll(async () => {
    await sample.close();
    await bare.close();
    await cookies.close();
  });

  it('reports no finding on the sample API, with its OpenAPI document', async () => {
    const report = await scan(sampleUrl, { openapi: sampleDocument });
    expect(report.findings).toEqual([]);
    expect(report.headers.grade).toBe('A+');
    expect(report.requests).toBeGreaterThan(50);
  }, 120_000);

  it('reports the missing headers, the leaking errors, the absent limits and the open routes of a bare Nest app', async () => {
    const report = await scan(bareUrl, { openapi: BARE_OPENAPI });
    expect(rulesOf(report)).toEqual(
      expect.arrayContaining([
        'headers/missing-csp',
        'headers/missing-frame-protection',
        'headers/missing-nosniff',
        'headers/x-powered-by',
        'errors/echoed-input',
        'errors/framework-disclosure',
        'errors/server-error',
        'limits/no-rate-limit',
        'limits/deep-json',
        'auth/unauthenticated-access',
        'cors/reflected-origin',
      ]),
    );
    expect(report.headers).toEqual({ grade: 'C', score: 50 });
    const leak = report.findings.find((f) => f.rule === 'errors/echoed-input');
    expect(leak?.url).toContain('/rampart-scan-');
    expect(report.findings.find((f) => f.rule === 'cors/reflected-origin')?.severity).toBe('high');
    const crash = report.findings.find((f) => f.rule === 'errors/server-error');
    expect(crash?.url).toContain('/crash');
  }, 120_000);

  it('reports cookies without HttpOnly or SameSite, shared with subdomains or breaking their prefix, without their values', async () => {
    const openapi = {
      openapi: '3.1.0',
      info: { title: 'cookies', version: '1' },
      paths: { '/login': { get: { security: [], responses: { '200': { description: 'ok' } } } } },
    };
    const report = await scan(cookiesUrl, { openapi });
    const cookieFindings = report.findings
      .filter((f) => f.rule.startsWith('cookies/'))
      .map((f) => `${f.rule} ${f.evidence?.split('=')[0] ?? ''}`)
      .sort();
    expect(cookieFindings).toEqual([
      'cookies/broad-domain remember_me',
      'cookies/invalid-prefix __Host-auth',
      'cookies/missing-httponly connect.sid',
      'cookies/missing-samesite connect.sid',
      'cookies/samesite-none-insecure tracking',
    ]);
    expect(report.findings.find((f) => f.rule === 'cookies/missing-httponly')?.severity).toBe('medium');
    const out: string[] = [];
    const io = {
      stdout: { write: (t: string) => out.push(t), isTTY: false },
      stderr: { write: (t: string) => out.push(t) },
    };
    for (const format of ['json', 'sarif', 'table']) {
      expect(await run(['scan', cookiesUrl, '--format', format, '--fail-on', 'medium'], io)).toBe(1);
    }
    const printed = out.join('');
    expect(printed).toContain('cookies/missing-samesite');
    // A report is shared in CI logs: it must not carry a live session.
    expect(printed).not.toContain('live-session-value');
    expect(sarifValidator()(toSarif(report, '0.1.0'))).toBe(true);
  }, 120_000);

  it("finds nothing wrong with the sample's session cookie, over HTTP and (Secure) over HTTPS", async () => {
    const login = (proto: string) =>
      request(sample.server)
        .post('/oauth/login')
        .set('x-forwarded-proto', proto)
        .type('form')
        .send({ username: 'alice@acme.test', password: 'alice-password', return_to: '' });
    for (const [proto, https] of [
      ['http', false],
      ['https', true],
    ] as const) {
      const res = await login(proto);
      const set = res.headers['set-cookie'] as unknown as string[] | undefined;
      expect(set?.length, `${proto} ${res.status}`).toBe(1);
      expect(cookieRules(set?.[0] ?? '', https)).toEqual([]);
      // The rules do bite on that very cookie once a flag is gone.
      expect(cookieRules((set?.[0] ?? '').replace('; HttpOnly', ''), https)).not.toEqual([]);
    }
  });

  it('writes SARIF 2.1.0 that validates against the SARIF schema', async () => {
    const validate = sarifValidator();
    const report = await scan(bareUrl, { openapi: BARE_OPENAPI });
    const sarif = toSarif(report, '0.1.0');
    expect(validate(sarif), JSON.stringify(validate.errors)).toBe(true);
    expect(sarif.runs[0]?.results?.length).toBe(report.findings.length);
    // The schema is not a rubber stamp: a result without a message fails it.
    const broken = structuredClone(sarif) as unknown as { runs: { results: Record<string, unknown>[] }[] };
    delete broken.runs[0]?.results[0]?.message;
    expect(validate(broken)).toBe(false);
  }, 120_000);

  it('exits 1 at the severity threshold, 0 below it, 2 on bad usage; no progress bar without a terminal', async () => {
    const out: string[] = [];
    const io = {
      stdout: { write: (t: string) => out.push(t), isTTY: false },
      stderr: { write: (t: string) => out.push(t) },
    };
    expect(await run(['scan', bareUrl, '--format', 'json', '--fail-on', 'medium'], io)).toBe(1);
    const json = JSON.parse(out.join('')) as ScanReport;
    expect(json.findings.length).toBeGreaterThan(0);
    expect(out.join('')).not.toContain('scanning [');
    out.length = 0;
    expect(await run(['scan', sampleUrl, '--format', 'table', '--fail-on', 'low'], io)).toBe(0);
    expect(out.join('')).toContain('No finding.');
    expect(await run(['scan', bareUrl, '--fail-on', 'none', '--format', 'sarif'], io)).toBe(0);
    expect(await run(['scan', 'ftp://example.test'], io)).toBe(2);
    expect(await run(['scan', bareUrl, '--format', 'xml'], io)).toBe(2);
  }, 180_000);
});
