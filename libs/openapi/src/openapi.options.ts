import type { OpenAPIObject } from '@nestjs/swagger';

/** The OAuth 2.0 authorization code flow (with PKCE) the API's tokens come from. @publicApi */
export interface OAuthFlowOptions {
  /** e.g. `https://api.example.com/oauth/authorize` */
  authorizationUrl: string;
  /** e.g. `https://api.example.com/oauth/token` */
  tokenUrl: string;
  refreshUrl?: string;
  /** Scope descriptions. Scopes used by `@Scopes()` but missing here are listed with an empty description. */
  scopes?: Record<string, string>;
}

/** Options of {@link createRampartDocument}. @publicApi */
export interface RampartOpenApiOptions {
  /**
   * Document the OAuth 2.0 authorization code flow with PKCE (`oauth2` scheme) as an alternative
   * to a bearer token on every JWT-protected operation.
   */
  oauth?: OAuthFlowOptions;
  /**
   * Document the constraints of class-validator decorators (Rampart's composed ones included:
   * `@PlainText`, `@RichText`, `@IsSafeUrl`…) on the request-body schemas. @default true
   */
  validationConstraints?: boolean;
}

/** The Swagger document configuration, as `new DocumentBuilder().build()` returns it. @publicApi */
export type DocumentConfig = Omit<OpenAPIObject, 'paths'>;
