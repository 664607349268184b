import type { INestApplication } from '@nestjs/common';
import type { OpenAPIObject, SwaggerCustomOptions } from '@nestjs/swagger';
import { loadOptionalPeer } from '@rampart/core';
import { overrideSecurityHeaders } from '@rampart/headers';

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
  if (ui) overrideSecurityHeaders(app, path, { contentSecurityPolicy: SWAGGER_UI_CONTENT_SECURITY_POLICY });
  SwaggerModule.setup(path, app, document, { ui, yamlDocumentUrl: undefined, ...options.swagger });
}
