import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { ValidationModuleOptions } from './validation.options';

export const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN } = new ConfigurableModuleBuilder<ValidationModuleOptions>(
  {
    moduleName: 'Validation',
  },
)
  .setClassMethodName('forRoot')
  .build();
