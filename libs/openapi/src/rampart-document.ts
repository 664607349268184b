import type { INestApplication, Type } from '@nestjs/common';
import type {
  OpenAPIObject,
  OperationObject,
  ResponseObject,
  SecurityRequirementObject,
  SecuritySchemeObject,
  SwaggerDocumentOptions,
} from '@nestjs/swagger';
import type { AuthMode, ResolvedAuthOptions } from '@rampart/auth';
import { RAMPART_AUTH_OPTIONS } from '@rampart/auth';
import { loadOptionalPeer } from '@rampart/core';
import type { DocumentConfig, RampartOpenApiOptions } from './openapi.options';
import { OAUTH_ERROR_SCHEMA, PROBLEM_SCHEMA, RAMPART_HEADERS } from './problem-schema';
import { collectRouteSecurity, optionalProvider, type RouteSecurity } from './route-security';
import { addValidationConstraints } from './validation-constraints';

type Swagger = typeof import('@nestjs/swagger');

/** Marks each operation with its handler while swagger builds the document; removed afterwards. */
const ROUTE_MARK = 'x-rampart-route';
const PROBLEM_REF = { $ref: '#/components/schemas/Problem' };
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
const BODY_METHODS = new Set(['put', 'post', 'patch']);

/**
 * Builds the OpenAPI document of `app` with `@nestjs/swagger` and adds what Rampart enforces:
 * the security schemes in use (bearer JWT, DPoP, API key, OAuth 2.0 authorization code + PKCE),
 * each operation's security requirement and scopes (`@Public()` ones: none), the problem+json
 * responses Rampart can answer (400, 401, 403, 404, 413, 415, 429, 503), the rate-limit headers
 * of limited routes and the validation constraints of the request-body DTOs. Responses and
 * security declared with swagger's own decorators win.
 * @publicApi
 * @example
 * const document = createRampartDocument(app, new DocumentBuilder().setTitle('Notes').setOpenAPIVersion('3.1.0').build());
 * SwaggerModule.setup('docs', app, document);
 */
export function createRampartDocument(
  app: INestApplication,
  config: DocumentConfig,
  options: RampartOpenApiOptions = {},
  swaggerOptions?: SwaggerDocumentOptions,
): OpenAPIObject {
  const swagger = loadOptionalPeer('@nestjs/swagger', '@rampart/openapi') as Swagger;
  const routes = collectRouteSecurity(app);
  const byMark = new Map<string, RouteSecurity>();
  for (const [handler, security] of routes) {
    const mark = String(byMark.size);
    byMark.set(mark, security);
    const extensions = (Reflect.getMetadata(swagger.DECORATORS.API_EXTENSION, handler) ?? {}) as object;
    Reflect.defineMetadata(swagger.DECORATORS.API_EXTENSION, { ...extensions, [ROUTE_MARK]: mark }, handler);
  }
  const document = swagger.SwaggerModule.createDocument(app, config, swaggerOptions);
  const authOptions = optionalProvider(app, RAMPART_AUTH_OPTIONS) as ResolvedAuthOptions | undefined;
  const schemes = securitySchemes(authOptions, options);
  const components = (document.components ??= {});
  components.securitySchemes = { ...schemes, ...components.securitySchemes };
  components.schemas = { Problem: PROBLEM_SCHEMA, ...components.schemas };
  if ([...routes.values()].some((route) => route.oauthErrors)) {
    components.schemas = { OAuthError: OAUTH_ERROR_SCHEMA, ...components.schemas };
  }
  const usedScopes = new Set<string>();
  const bodyTypes = new Set<Type>();
  for (const pathItem of Object.values(document.paths)) {
    for (const method of HTTP_METHODS) {
      const operation: (OperationObject & { [ROUTE_MARK]?: unknown }) | undefined = pathItem[method];
      const security = byMark.get(String(operation?.[ROUTE_MARK]));
      if (!operation || !security) continue;
      Reflect.deleteProperty(operation, ROUTE_MARK);
      describeOperation(operation, method, security, schemes);
      security.scopes.flat().forEach((scope) => usedScopes.add(scope));
      security.bodyTypes.forEach((type) => bodyTypes.add(type));
    }
  }
  const oauth = components.securitySchemes.oauth2 as SecuritySchemeObject | undefined;
  const code = oauth?.flows?.authorizationCode;
  if (code) code.scopes = { ...Object.fromEntries([...usedScopes].sort().map((s) => [s, ''])), ...code.scopes };
  if (options.validationConstraints !== false) addValidationConstraints(components.schemas, bodyTypes);
  return document;
}

function securitySchemes(
  auth: ResolvedAuthOptions | undefined,
  options: RampartOpenApiOptions,
): Record<string, SecuritySchemeObject> {
  if (!auth) return {};
  const schemes: Record<string, SecuritySchemeObject> = {};
  if (auth.jwt) {
    schemes.bearer = {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description: 'An access token (RFC 9068 JWT).',
    };
    // The auth lib accepts DPoP-bound tokens whenever it verifies JWTs (RFC 9449, always on).
    schemes.dpop = {
      type: 'http',
      scheme: 'DPoP',
      description: 'A DPoP-bound access token (RFC 9449): `Authorization: DPoP <token>` with a `DPoP` proof header.',
    };
    if (options.oauth) {
      const { authorizationUrl, tokenUrl, refreshUrl, scopes } = options.oauth;
      schemes.oauth2 = {
        type: 'oauth2',
        description: 'OAuth 2.0 authorization code flow; PKCE with S256 is required (RFC 9700 §2.1.1).',
        flows: {
          authorizationCode: {
            authorizationUrl,
            tokenUrl,
            ...(refreshUrl ? { refreshUrl } : {}),
            scopes: { ...scopes },
          },
        },
      };
    }
  }
  schemes.apiKey = { type: 'apiKey', in: 'header', name: auth.apiKeys.header, description: 'A Rampart API key.' };
  return schemes;
}

function requirements(
  mode: AuthMode,
  scopes: string[][],
  schemes: Record<string, SecuritySchemeObject>,
): SecurityRequirementObject[] {
  const alternatives = scopes.length > 0 ? scopes : [[]];
  const tokenSchemes = ['bearer', 'dpop', 'oauth2'].filter((name) => name in schemes);
  const token = tokenSchemes.flatMap((name) => alternatives.map((s) => ({ [name]: s })));
  const key = alternatives.map((s) => ({ apiKey: s }));
  switch (mode) {
    case 'jwt':
      return token;
    case 'apiKey':
      return key;
    case 'either':
      return [...token, ...key];
    case 'both':
      return token.flatMap((t) => alternatives.map((s) => ({ ...t, apiKey: s })));
  }
}

function problem(description: string, headers: (keyof typeof RAMPART_HEADERS)[] = []): ResponseObject {
  return {
    description,
    ...(headers.length ? { headers: Object.fromEntries(headers.map((h) => [h, RAMPART_HEADERS[h]])) } : {}),
    content: { 'application/problem+json': { schema: PROBLEM_REF } },
  };
}

function oauthError(description: string, headers: (keyof typeof RAMPART_HEADERS)[] = []): ResponseObject {
  return {
    ...problem(description, headers),
    content: { 'application/json': { schema: { $ref: '#/components/schemas/OAuthError' } } },
  };
}

function describeOperation(
  operation: OperationObject,
  method: string,
  route: RouteSecurity,
  schemes: Record<string, SecuritySchemeObject>,
): void {
  const isPublic = route.auth === 'public';
  operation.security ??= route.auth === 'public' ? [] : requirements(route.auth, route.scopes, schemes);
  const limitHeaders = ['RateLimit', 'RateLimit-Policy'] as const;
  const responses: Record<string, ResponseObject> = {
    '400': problem('Malformed request or invalid input (VALIDATION_ERROR lists the fields).'),
    '403': problem(
      isPublic
        ? 'Refused by threat detection (THREAT_DETECTED) or a ban.'
        : 'Missing scope or role (FORBIDDEN), threat detection (THREAT_DETECTED) or a ban.',
    ),
    '503': problem('A dependency (the store) is unavailable or the request timed out.', ['Retry-After']),
  };
  if (!isPublic) responses['401'] = problem('Missing, invalid or expired credentials.', ['WWW-Authenticate']);
  if (route.hasPathParameters) responses['404'] = problem('No such object, or not yours.');
  if (BODY_METHODS.has(method)) {
    responses['413'] = problem('Body over the size limit.');
    responses['415'] = problem('Media type not accepted by this route.');
  }
  if (route.oauthErrors) {
    responses['400'] = oauthError('Refused request (`invalid_request`, `invalid_grant`, `invalid_scope`…).');
    responses['401'] = oauthError('Client authentication failed (`invalid_client`).', ['WWW-Authenticate']);
    responses['503'] = oauthError('Storage unavailable (`temporarily_unavailable`).', ['Retry-After']);
  }
  if (route.rateLimited) responses['429'] = problem('Rate limit exceeded.', [...limitHeaders, 'Retry-After']);
  for (const [status, response] of Object.entries(responses)) operation.responses[status] ??= response;
  if (route.rateLimited) {
    for (const [status, response] of Object.entries(operation.responses)) {
      if (!/^2/.test(status) || !response || '$ref' in response) continue;
      response.headers = {
        ...Object.fromEntries(limitHeaders.map((h) => [h, RAMPART_HEADERS[h]])),
        ...response.headers,
      };
    }
  }
}
