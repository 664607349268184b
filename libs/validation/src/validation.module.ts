import { Inject, Module, type OnModuleInit, type Type } from '@nestjs/common';
import { APP_PIPE, DiscoveryModule, DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { InvalidOptionsError, provideGuardPhase, RampartPipeline, RampartPipelineModule } from '@rampart/core';
import { RouteLimitsGuard } from './limits/route-limits.guard';
import { SecureValidationPipe } from './pipes/secure-validation.pipe';
import { RAMPART_VALIDATION_OPTIONS, REQUEST_LIMITS_METADATA } from './validation.constants';
import { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN } from './validation.module-definition';
import {
  VALIDATION_PART,
  resolveValidationOptions,
  type ResolvedValidationOptions,
  type RouteLimits,
  type ValidationModuleOptions,
} from './validation.options';

type Handler = (...args: unknown[]) => unknown;

const LOOSENABLE: readonly (keyof RouteLimits)[] = ['timeoutMs', 'mediaTypes'];

/**
 * The secure validation pipe, installed globally, and the `routeLimits` phase of Rampart's guard
 * pipeline (per-route limits, timeouts), with the application's limits. Pair it with `useRequestLimits(app)` in
 * `main.ts`, which enforces the same limits at the platform level.
 * @publicApi
 * @example
 * ValidationModule.forRoot({ maxBodyBytes: 100 * 1024, timeoutMs: 10_000 })
 */
@Module({
  imports: [DiscoveryModule, RampartPipelineModule],
  providers: [
    {
      provide: RAMPART_VALIDATION_OPTIONS,
      inject: [MODULE_OPTIONS_TOKEN, RampartPipeline],
      useFactory: (raw: ValidationModuleOptions, pipeline: RampartPipeline) => {
        const options = resolveValidationOptions(raw);
        pipeline.install(VALIDATION_PART, options);
        return options;
      },
    },
    { provide: APP_PIPE, useClass: SecureValidationPipe },
    ...provideGuardPhase('routeLimits', RouteLimitsGuard, 'ValidationModule'),
  ],
  exports: [RAMPART_VALIDATION_OPTIONS],
})
export class ValidationModule extends ConfigurableModuleClass implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    @Inject(RAMPART_VALIDATION_OPTIONS) private readonly options: ResolvedValidationOptions,
  ) {
    super();
  }

  /** A route limit above the global one could never apply (the parser enforces the global one first). */
  onModuleInit(): void {
    for (const wrapper of this.discovery.getControllers()) {
      const instance = wrapper.instance as object | undefined;
      if (!instance) continue;
      const prototype = Object.getPrototypeOf(instance) as object;
      const controller = String(wrapper.name);
      const targets: [string, Type | Handler][] = [[controller, wrapper.metatype as Type]];
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const handler = (prototype as Record<string, Handler | undefined>)[method];
        if (handler) targets.push([`${controller}.${method}`, handler]);
      }
      for (const [name, target] of targets) {
        const limits = this.reflector.get<RouteLimits | undefined>(REQUEST_LIMITS_METADATA, target);
        for (const [key, value] of Object.entries(limits ?? {})) {
          const global = this.options[key as keyof RouteLimits];
          if (LOOSENABLE.includes(key as keyof RouteLimits) || typeof value !== 'number' || typeof global !== 'number')
            continue;
          if (value > global) {
            throw new InvalidOptionsError(
              'VALIDATION_INVALID_OPTIONS',
              `@RequestLimits() on ${name} sets ${key} to ${value}, above the global ${global}: raise it in ValidationModule.forRoot().`,
            );
          }
        }
      }
    }
  }
}
