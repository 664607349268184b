import { SetMetadata } from '@nestjs/common';

/** Metadata key of {@link OAuthErrors}. */
export const OAUTH_ERRORS_KEY = 'rampart:openapi:oauth-errors';

/**
 * Documents a route's 400, 401 and 503 as RFC 6749 §5.2 error JSON (`{ error, error_description }`)
 * rather than problem+json: the OAuth endpoints answer in the protocol's own format. Apply it
 * through the authorization server's `routes.decorators`.
 * @publicApi
 * @example
 * OAuthServerModule.forRoot({ issuer, clients, interaction, routes: { decorators: { token: [OAuthErrors()] } } });
 */
export const OAuthErrors = (): MethodDecorator & ClassDecorator => SetMetadata(OAUTH_ERRORS_KEY, true);
