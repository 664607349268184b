import { Controller, Get, type INestApplication } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Test } from '@nestjs/testing';
import { useSecurityHeaders } from '@rampart/headers';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oauth2RedirectPolicy, setupRampartDocs, SWAGGER_UI_CONTENT_SECURITY_POLICY } from './docs-setup';

// The redirect page as swagger-ui-dist 3 and 4 shipped it (and as custom UI folders still do): one inline script.
const INLINE_SCRIPT = `
'use strict';
function run () { window.opener.swaggerUIRedirectOauth2.callback({ auth: {}, token: {}, isValid: true }); window.close(); }
window.addEventListener('DOMContentLoaded', function () { run(); });
`;
const INLINE_REDIRECT_PAGE = `<!doctype html>
<html lang="en-US">
<head><title>Swagger UI: OAuth2 Redirect</title></head>
<body>
<script>${INLINE_SCRIPT}</script>
</body>
</html>
`;
const sha256 = (text: string): string => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
const STRICT = "default-src 'none';frame-ancestors 'none'";
const scriptSrc = (csp: string): string | undefined => csp.split('; ').find((d) => d.startsWith('script-src '));

@Controller('health')
class HealthController {
  @Get()
  health(): { ok: true } {
    return { ok: true };
  }
}

describe('oauth2RedirectPolicy', () => {
  it('is the docs policy when the page has no inline script (swagger-ui-dist 5 loads oauth2-redirect.js)', () => {
    expect(oauth2RedirectPolicy('<body><script src="oauth2-redirect.js"></script></body>')).toBe(
      SWAGGER_UI_CONTENT_SECURITY_POLICY,
    );
  });

  it('adds the hash of each inline script, and nothing for scripts with a src', () => {
    const page = `<script>a()</script><SCRIPT type="text/javascript">b()</SCRIPT ><script src=x.js></script>`;
    expect(scriptSrc(oauth2RedirectPolicy(page))).toBe(`script-src 'self' ${sha256('a()')} ${sha256('b()')}`);
  });
});

describe.each(['express', 'fastify'] as const)(
  'Swagger UI OAuth2 redirect page with an inline script (%s)',
  (platform) => {
    let app: INestApplication;
    let uiFolder: string;
    beforeAll(async () => {
      uiFolder = mkdtempSync(join(tmpdir(), 'rampart-swagger-ui-'));
      writeFileSync(join(uiFolder, 'oauth2-redirect.html'), INLINE_REDIRECT_PAGE);
      const moduleRef = await Test.createTestingModule({ controllers: [HealthController] }).compile();
      app = moduleRef.createNestApplication(platform === 'fastify' ? new FastifyAdapter() : new ExpressAdapter(), {
        logger: false,
      });
      useSecurityHeaders(app);
      const document = SwaggerModule.createDocument(app, new DocumentBuilder().build());
      setupRampartDocs(app, 'docs', document, { swagger: { customSwaggerUiPath: uiFolder } });
      await app.init();
      if (platform === 'fastify') await (app.getHttpAdapter().getInstance() as { ready(): Promise<unknown> }).ready();
    });
    afterAll(async () => {
      await app.close();
      rmSync(uiFolder, { recursive: true, force: true });
    });

    it('lets exactly the served inline script run on the redirect page', async () => {
      const res = await request(app.getHttpServer()).get('/docs/oauth2-redirect.html').expect(200);
      const body = /<script>([\s\S]*?)<\/script>/.exec(res.text)?.[1];
      expect(body).toBe(INLINE_SCRIPT);
      const csp = String(res.headers['content-security-policy']);
      expect(scriptSrc(csp)).toBe(`script-src 'self' ${sha256(INLINE_SCRIPT)}`);
      // A page whose script an attacker changed (or an upgrade did) no longer matches.
      expect(csp).not.toContain(sha256(`${INLINE_SCRIPT}alert(1)`));
    });

    it('keeps the hash off every other route', async () => {
      const ui = await request(app.getHttpServer()).get('/docs');
      expect(ui.headers['content-security-policy']).toBe(SWAGGER_UI_CONTENT_SECURITY_POLICY);
      for (const path of [
        '/health',
        '/docs-json',
        '/docs/oauth2-redirect.html/../../health',
        '/docs/%2e%2e/health',
        '/oauth2-redirect.html',
      ]) {
        const res = await request(app.getHttpServer()).get(path);
        expect(`${path}: ${String(res.headers['content-security-policy'])}`).toBe(`${path}: ${STRICT}`);
      }
    });
  },
);
