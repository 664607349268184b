export { createRampartDocument } from './rampart-document';
export { setupRampartDocs, SWAGGER_UI_CONTENT_SECURITY_POLICY } from './docs-setup';
export type { RampartDocsOptions } from './docs-setup';
export { PROBLEM_SCHEMA, OAUTH_ERROR_SCHEMA, RAMPART_HEADERS } from './problem-schema';
export { OAuthErrors } from './oauth-errors.decorator';
export type { DocumentConfig, OAuthFlowOptions, RampartOpenApiOptions } from './openapi.options';
