import { Module } from '@nestjs/common';
import { RampartCoreModule } from '@rampart/core';
import { ErrorsModule } from '@rampart/errors';
import { HealthController } from './health/health.controller';
import { NotesModule } from './notes/notes.module';

/**
 * The sample API. Shared state lives in memory unless `REDIS_URL` is set; the loopback proxy is
 * trusted so a local reverse proxy can forward the client address.
 */
@Module({
  imports: [
    RampartCoreModule.forRoot({
      trustedProxies: (process.env.TRUSTED_PROXIES ?? 'loopback').split(',').filter(Boolean),
      store: process.env.REDIS_URL ? { type: 'redis', url: process.env.REDIS_URL } : { type: 'memory' },
    }),
    ErrorsModule.forRoot({}),
    NotesModule,
  ],
  controllers: [HealthController],
})
export class AppModule {}
