import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { OutboundModuleOptions } from './outbound.options';

export const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN, OPTIONS_TYPE, ASYNC_OPTIONS_TYPE } =
  new ConfigurableModuleBuilder<OutboundModuleOptions>({ moduleName: 'Outbound' })
    .setClassMethodName('forRoot')
    .setExtras({ isGlobal: false }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
    .build();
