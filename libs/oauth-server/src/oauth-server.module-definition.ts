import { ConfigurableModuleBuilder } from '@nestjs/common';
import { createOAuthServerController } from './oauth-server.controller';
import { resolveRoutes, type OAuthServerOptions, type OAuthServerRoutes } from './oauth.options';
import { OAUTH_SERVER_ROUTES } from './oauth.constants';

export const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN, OPTIONS_TYPE, ASYNC_OPTIONS_TYPE } =
  new ConfigurableModuleBuilder<OAuthServerOptions>({ moduleName: 'OAuthServer' })
    .setClassMethodName('forRoot')
    // Routes are extras, not options: a controller's paths must be known before any async factory runs.
    .setExtras<{ isGlobal: boolean; routes: OAuthServerRoutes }>(
      { isGlobal: true, routes: {} },
      (definition, extras) => {
        const routes = resolveRoutes(extras.routes);
        return {
          ...definition,
          global: extras.isGlobal,
          controllers: [createOAuthServerController(routes)],
          providers: [...(definition.providers ?? []), { provide: OAUTH_SERVER_ROUTES, useValue: routes }],
        };
      },
    )
    .build();
