import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { ThreatModuleOptions } from './threat.options';

// Global by default: ThreatService is injected where logins fail, wherever that is.
export const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN } = new ConfigurableModuleBuilder<ThreatModuleOptions>({
  moduleName: 'Threat',
})
  .setClassMethodName('forRoot')
  .setExtras({ isGlobal: true }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();
