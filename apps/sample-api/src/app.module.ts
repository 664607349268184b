import { Module, type DynamicModule } from '@nestjs/common';
import { RampartCoreModule } from '@rampart/core';
import { ErrorsModule } from '@rampart/errors';
import type { AppConfig } from './app.config';
import { HealthController } from './health/health.controller';
import { NotesModule } from './notes/notes.module';

/** The sample API: every Rampart module, wired as a production app would. */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        RampartCoreModule.forRoot({
          trustedProxies: config.trustedProxies,
          store: config.redisUrl ? { type: 'redis', url: config.redisUrl } : { type: 'memory' },
        }),
        ErrorsModule.forRoot({}),
        NotesModule,
      ],
      controllers: [HealthController],
    };
  }
}
