import type { INestApplication } from '@nestjs/common';
import type { OpenAPIObject, SwaggerCustomOptions } from '@nestjs/swagger';
import { loadOptionalPeer } from '@rampart/core';
import { overrideSecurityHeaders } from '@rampart/headers';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** The page Swagger UI's OAuth2 popup lands on, served from the UI's assets. */
const OAUTH2_REDIRECT_PAGE = 'oauth2-redirect.html';

/**
 * What Swagger UI needs, and nothing more: its own scripts, styles (it sets inline styles) and
 * images, and calls to the API itself for "Try it out". Still no framing, no plugins, no base or
 * form targets elsewhere.
 * @publicApi
 */
export const SWAGGER_UI_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Options of {@link setupRampartDocs}. @publicApi */
export interface RampartDocsOptions {
  /** Serve Swagger UI; with `false`, only the JSON document (`<path>-json`). @default true */
  ui?: boolean;
  /** Passed to `SwaggerModule.setup`. */
  swagger?: SwaggerCustomOptions;
}

/**
 * Serves `document` at `/<path>-json` and Swagger UI at `/<path>`, relaxing the
 * Content-Security-Policy on the UI's routes only (every other route keeps the API preset's
 * `default-src 'none'`). Call it after `useRampart(app)` (or `useSecurityHeaders`).
 * @publicApi
 * @example
 * setupRampartDocs(app, 'docs', createRampartDocument(app, config));
 */
export function setupRampartDocs(
  app: INestApplication,
  path: string,
  document: OpenAPIObject,
  options: RampartDocsOptions = {},
): void {
  const { SwaggerModule } = loadOptionalPeer('@nestjs/swagger', '@rampart/openapi') as typeof import('@nestjs/swagger');
  const ui = options.ui ?? true;
  if (ui) {
    overrideSecurityHeaders(app, path, { contentSecurityPolicy: SWAGGER_UI_CONTENT_SECURITY_POLICY });
    const redirectPage = join(swaggerUiAssetsPath(options.swagger?.customSwaggerUiPath), OAUTH2_REDIRECT_PAGE);
    overrideSecurityHeaders(app, `${path.replace(/\/+$/, '')}/${OAUTH2_REDIRECT_PAGE}`, {
      contentSecurityPolicy: oauth2RedirectPolicy(existsSync(redirectPage) ? readFileSync(redirectPage, 'utf8') : ''),
    });
  }
  SwaggerModule.setup(path, app, document, { ui, yamlDocumentUrl: undefined, ...options.swagger });
}

/**
 * The docs policy plus the hash of each inline script of the OAuth2 redirect page, computed from the
 * file that is actually served: swagger-ui-dist 5 loads `oauth2-redirect.js` (allowed by `'self'`),
 * earlier releases and custom UI folders inline the script. Hashing at start lets exactly that
 * script run, never `'unsafe-inline'`, and an upgrade that changes it cannot silently break the login.
 */
export function oauth2RedirectPolicy(html: string): string {
  const hashes = inlineScripts(html).map((body) => `'sha256-${createHash('sha256').update(body).digest('base64')}'`);
  if (hashes.length === 0) return SWAGGER_UI_CONTENT_SECURITY_POLICY;
  return SWAGGER_UI_CONTENT_SECURITY_POLICY.replace("script-src 'self'", `script-src 'self' ${hashes.join(' ')}`);
}

/** The bodies of the `<script>` elements without a `src` attribute, as the browser hashes them. */
function inlineScripts(html: string): string[] {
  const bodies: string[] = [];
  const lower = html.toLowerCase();
  for (let open = lower.indexOf('<script'); open !== -1; open = lower.indexOf('<script', open + 1)) {
    const tagEnd = lower.indexOf('>', open);
    const close = lower.indexOf('</script', tagEnd);
    if (tagEnd === -1 || close === -1) break;
    const attributes = lower.slice(open + '<script'.length, tagEnd);
    if (!/\ssrc\s*=/.test(` ${attributes}`)) bodies.push(html.slice(tagEnd + 1, close));
    open = close;
  }
  return bodies;
}

/** The folder `SwaggerModule.setup` serves the UI from (the same lookup @nestjs/swagger does). */
function swaggerUiAssetsPath(customPath: string | undefined): string {
  if (customPath) return resolve(customPath);
  const fromSwagger = { paths: [dirname(require.resolve('@nestjs/swagger'))] };
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- swagger-ui-dist is CommonJS, resolved as @nestjs/swagger resolves it
  const absolutePath = require(require.resolve('swagger-ui-dist/absolute-path.js', fromSwagger)) as () => string;
  return absolutePath();
}
