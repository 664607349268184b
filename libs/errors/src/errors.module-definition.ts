import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { ErrorsModuleOptions } from './errors.options';

export const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN } = new ConfigurableModuleBuilder<ErrorsModuleOptions>({
  moduleName: 'Errors',
})
  .setClassMethodName('forRoot')
  .build();
