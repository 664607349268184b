import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { ThreatModuleOptions } from './threat.options';

export const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN } = new ConfigurableModuleBuilder<ThreatModuleOptions>({
  moduleName: 'Threat',
})
  .setClassMethodName('forRoot')
  .build();
