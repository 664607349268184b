import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { RampartCoreOptions } from './core.options';

export const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN, OPTIONS_TYPE, ASYNC_OPTIONS_TYPE } =
  new ConfigurableModuleBuilder<RampartCoreOptions>({ moduleName: 'RampartCore' })
    .setClassMethodName('forRoot')
    .setExtras({ isGlobal: true }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
    .build();
