import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ERRORS_PART, RampartPipeline, RampartPipelineModule } from '@rampart/core';
import { RAMPART_ERRORS_OPTIONS } from './errors.constants';
import { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN } from './errors.module-definition';
import { resolveErrorsOptions, type ErrorsModuleOptions } from './errors.options';
import { SafeExceptionFilter } from './safe-exception.filter';

/**
 * Installs {@link SafeExceptionFilter} as the application's global exception filter.
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
export class ErrorsModule extends ConfigurableModuleClass {}
