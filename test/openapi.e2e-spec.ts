import type { OpenAPIObject, OperationObject, ResponseObject, SchemaObject } from '@nestjs/swagger';
import { Validator } from '@seriousme/openapi-schema-validator';
import { createHash } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLATFORMS, startApp, type TestApp } from './utils/test-app';

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

function operations(document: OpenAPIObject): { method: string; path: string; operation: OperationObject }[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    METHODS.flatMap((method) => (item[method] ? [{ method, path, operation: item[method] }] : [])),
  );
}

describe.each(PLATFORMS)('OpenAPI document and Swagger UI (%s)', (platform) => {
  let t: TestApp;
  let document: OpenAPIObject;
  beforeAll(async () => {
    t = await startApp(platform);
    const res = await request(t.server).get('/docs-json').expect(200);
    document = res.body as OpenAPIObject;
  });
  afterAll(() => t.close());

  it('is a valid OpenAPI 3.1 document', async () => {
    expect(document.openapi).toBe('3.1.0');
    const result = await new Validator().validate(
      structuredClone(document) as unknown as Parameters<Validator['validate']>[0],
    );
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('declares the security schemes the app accepts', () => {
    const schemes = document.components?.securitySchemes ?? {};
    expect(schemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    expect(schemes.dpop).toMatchObject({ type: 'http', scheme: 'DPoP' });
    expect(schemes.apiKey).toMatchObject({ type: 'apiKey', in: 'header', name: 'x-api-key' });
    expect(schemes.oauth2).toMatchObject({
      type: 'oauth2',
      flows: { authorizationCode: { authorizationUrl: '/oauth/authorize', tokenUrl: '/oauth/token' } },
    });
    const scopes = Object.keys(
      (schemes.oauth2 as { flows: { authorizationCode: { scopes: object } } }).flows.authorizationCode.scopes,
    );
    expect(scopes).toEqual(expect.arrayContaining(['notes:read', 'notes:write']));
  });

  it('lists security and problem responses on every operation, scopes where @Scopes() asks for them', () => {
    const all = operations(document);
    expect(all.length).toBeGreaterThan(20);
    for (const { method, path, operation } of all) {
      const where = `${method.toUpperCase()} ${path}`;
      expect(Array.isArray(operation.security), where).toBe(true);
      for (const status of ['400', '403', '503']) {
        const response = operation.responses[status] as ResponseObject | undefined;
        const schema = Object.values(response?.content ?? {})[0]?.schema;
        expect(schema, `${where} ${status}`).toEqual({
          $ref:
            /^\/oauth\/(token|authorize|par|revoke|introspect)$/.test(path) && status !== '403'
              ? '#/components/schemas/OAuthError'
              : '#/components/schemas/Problem',
        });
      }
      if (operation.security?.length) expect(operation.responses['401'], where).toBeDefined();
    }
    const byRoute = (method: string, path: string) =>
      all.find((o) => o.method === method && o.path === path)?.operation;
    expect(byRoute('get', '/health')?.security).toEqual([]);
    expect(byRoute('get', '/health')?.responses['401']).toBeUndefined();
    expect(byRoute('post', '/notes')?.security).toEqual(
      expect.arrayContaining([{ bearer: ['notes:write'] }, { dpop: ['notes:write'] }, { oauth2: ['notes:write'] }]),
    );
    expect(byRoute('get', '/notes/{id}')?.responses['404']).toBeDefined();
    expect(byRoute('post', '/notes')?.responses['413']).toBeDefined();
    expect(byRoute('post', '/notes')?.responses['415']).toBeDefined();
    // The OAuth endpoints answer RFC 6749 error JSON, and the document says so (@OAuthErrors()).
    expect(Object.keys((byRoute('post', '/oauth/token')?.responses['400'] as ResponseObject).content ?? {})).toEqual([
      'application/json',
    ]);
  });

  it('documents the rate-limit headers and the 429 of limited routes', () => {
    const create = document.paths['/notes']?.post;
    const limited = create?.responses['429'] as ResponseObject;
    expect(Object.keys(limited.headers ?? {})).toEqual(['RateLimit', 'RateLimit-Policy', 'Retry-After']);
    const created = create?.responses['201'] as ResponseObject;
    expect(Object.keys(created.headers ?? {})).toEqual(expect.arrayContaining(['RateLimit', 'RateLimit-Policy']));
  });

  it('shows the constraints of composed validation decorators (@PlainText, @RichText) in the schemas', () => {
    const schema = document.components?.schemas?.CreateNoteDto as SchemaObject;
    expect(schema.properties?.title).toMatchObject({ type: 'string', maxLength: 200, minLength: 1 });
    expect(schema.properties?.body).toMatchObject({ maxLength: 10_000 });
  });

  it('tells the truth: every operation documented as protected refuses a call without credentials', async () => {
    const protectedReads = operations(document).filter(
      ({ method, path, operation }) => method === 'get' && !path.includes('{') && operation.security?.length,
    );
    expect(protectedReads.length).toBeGreaterThan(3);
    for (const { path } of protectedReads) {
      const res = await request(t.server).get(path);
      expect(`${path} ${res.status}`).toBe(`${path} 401`);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
  });

  it('serves Swagger UI with a CSP relaxed on its routes only', async () => {
    const ui = await request(t.server).get('/docs/').redirects(1).expect(200);
    expect(ui.text).toContain('swagger-ui');
    expect(ui.headers['content-security-policy']).toContain("script-src 'self'");
    expect(ui.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    for (const path of ['/docs-json', '/health', '/docsx', '/docs/../health', '/docs/%2e%2e/health']) {
      const res = await request(t.server).get(path);
      expect(`${path}: ${String(res.headers['content-security-policy'])}`).toBe(
        `${path}: default-src 'none';frame-ancestors 'none'`,
      );
    }
  });

  it("lets the OAuth2 redirect page's scripts run, and only those", async () => {
    const page = await request(t.server).get('/docs/oauth2-redirect.html').expect(200);
    const csp = String(page.headers['content-security-policy']);
    const scriptSrc = csp.split('; ').find((d) => d.startsWith('script-src ')) ?? '';
    expect(scriptSrc).not.toContain('unsafe-inline');
    const scripts = [...page.text.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes = '', body = ''] of scripts) {
      const src = /\bsrc=["']?([^"' >]+)/.exec(attributes)?.[1];
      if (src) {
        // An external script runs under 'self' only if it is served from this origin.
        expect(src).not.toMatch(/^[a-z]+:|^\/\//i);
        const script = await request(t.server).get(new URL(src, 'http://x/docs/oauth2-redirect.html').pathname);
        expect(`${src} ${script.status} ${String(script.headers['content-type'])}`).toMatch(/ 200 .*javascript/);
      } else {
        expect(scriptSrc).toContain(`'sha256-${createHash('sha256').update(body).digest('base64')}'`);
      }
    }
  });
});
