import { Global, Module, type DynamicModule } from '@nestjs/common';
import { RampartModule } from '@rampart/nest';
import { AccountsModule } from './accounts/accounts.module';
import { AdminModule } from './admin/admin.module';
import { AuditAdminController, MetricsController, sampleAuditModule } from './audit/sample-audit';
import { APP_CONFIG, assertNoDemoCredentials, redisConnection, type AppConfig } from './app.config';
import { sampleAuthOptions } from './auth/sample-auth.module';
import { HealthController } from './health/health.controller';
import { IntegrationsModule } from './integrations/integrations.module';
import { NotesModule } from './notes/notes.module';
import { SampleOAuthModule } from './oauth/sample-oauth.module';
import { PartnerModule } from './partner/partner.module';
import { rateLimitOptions } from './rate-limit/rate-limits';
import { UsersModule } from './users/users.module';
import { SampleWebhooksModule } from './webhooks/sample-webhooks.module';

/** The configuration, for the sample's own services (the demo users' seed). */
@Global()
@Module({})
class AppConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    return { module: AppConfigModule, providers: [{ provide: APP_CONFIG, useValue: config }], exports: [APP_CONFIG] };
  }
}

/** The sample API: every Rampart module, wired as a production app would. */
@Module({})
export class AppModule {
  /** @throws Error when `NODE_ENV=production` and development credentials are configured. */
  static forRoot(config: AppConfig): DynamicModule {
    assertNoDemoCredentials(config);
    const redis = redisConnection(config);
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(config),
        // Every Rampart lib, composed in Rampart's one order (threat → pre-authentication limits →
        // authenticate → authorize → post-authentication limits), whatever the order of the parts.
        RampartModule.forRoot({
          core: {
            trustedProxies: config.trustedProxies,
            ...(config.connectionsPerClient ? { connections: { perClient: config.connectionsPerClient } } : {}),
            store: redis ? { type: 'redis', ...redis } : { type: 'memory' },
          },
          errors: {},
          threat: config.threat,
          auth: sampleAuthOptions(config),
          rateLimit: rateLimitOptions(config),
          // Forms are parsed for the routes that opt in (OAuth endpoints, the login form); every
          // other route still takes JSON only.
          validation: {
            mediaTypes: ['application/json', 'application/x-www-form-urlencoded'],
            routeMediaTypes: ['application/json'],
          },
          httpsRedirect: { enabled: config.httpsRedirect, ...(config.publicHost ? { host: config.publicHost } : {}) },
          cors: { origins: config.corsOrigins },
        }),
        // It listens to every lib's security events.
        sampleAuditModule(config),
        NotesModule,
        UsersModule,
        AdminModule,
        PartnerModule,
        AccountsModule,
        IntegrationsModule.forRoot(config),
        SampleOAuthModule.forRoot(config),
        SampleWebhooksModule.forRoot(config),
      ],
      controllers: [HealthController, AuditAdminController, MetricsController],
    };
  }
}
