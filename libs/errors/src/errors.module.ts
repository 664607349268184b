import { Inject, Module, type OnModuleInit } from '@nestjs/common';
import { APP_FILTER, HttpAdapterHost } from '@nestjs/core';
import { ERRORS_PART, RampartPipeline, RampartPipelineModule } from '@rampart/core';
import type { Server } from 'node:http';
import { RAMPART_ERRORS_OPTIONS } from './errors.constants';
import { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN } from './errors.module-definition';
import { resolveErrorsOptions, type ErrorsModuleOptions, type ResolvedErrorsOptions } from './errors.options';
import { answerBeforeTheApplication } from './problem-response';
import { SafeExceptionFilter } from './safe-exception.filter';

/**
 * Installs {@link SafeExceptionFilter} as the application's global exception filter, and puts the
 * answers Node and the router give on their own (parser errors, no Host, an undecodable path)
 * through the same problem renderer, with the security headers and a request id.
 * @publicApi
 * @example
 * ErrorsModule.forRoot({ problemTypeBase: 'https://api.example.com/problems/' })
 */
@Module({
  imports: [RampartPipelineModule],
  providers: [
    {
      provide: RAMPART_ERRORS_OPTIONS,
      inject: [MODULE_OPTIONS_TOKEN, RampartPipeline],
      useFactory: (raw: ErrorsModuleOptions, pipeline: RampartPipeline) => {
        pipeline.install(ERRORS_PART, true);
        return resolveErrorsOptions(raw);
      },
    },
    { provide: APP_FILTER, useClass: SafeExceptionFilter },
  ],
})
export class ErrorsModule extends ConfigurableModuleClass implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(RAMPART_ERRORS_OPTIONS) private readonly options: ResolvedErrorsOptions,
  ) {
    super();
  }

  onModuleInit(): void {
    const adapter = this.adapterHost.httpAdapter as HttpAdapterHost['httpAdapter'] | undefined;
    const server = adapter?.getHttpServer() as Server | undefined;
    // No HTTP server: a standalone application context, or a microservice.
    if (!adapter || !server || typeof server.on !== 'function') return;
    answerBeforeTheApplication(server, adapter.getInstance<object>(), this.options.problemTypeBase);
  }
}
