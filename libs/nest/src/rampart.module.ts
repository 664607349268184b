import { Module, type DynamicModule } from '@nestjs/common';
import { AuthModule } from '@rampart/auth';
import { RampartCoreModule, RampartPart, RampartPipeline, RampartPipelineModule } from '@rampart/core';
import { ErrorsModule } from '@rampart/errors';
import { RateLimitModule } from '@rampart/rate-limit';
import { ThreatModule } from '@rampart/threat';
import { ValidationModule } from '@rampart/validation';
import type {
  RampartAsyncPart,
  RampartLib,
  RampartModuleAsyncOptions,
  RampartModuleFactoryOptions,
  RampartModuleOptions,
  RampartPartOptions,
  RampartPlatformOptions,
} from './rampart.options';

/** The options a forRootAsync factory produced, shared by every lib's own forRootAsync. */
const RAMPART_OPTIONS = Symbol('RAMPART_OPTIONS');

/** Installed by RampartModule: what useRampart(app) installs on the platform. */
export const PLATFORM_PART = new RampartPart<RampartPlatformOptions>('RampartModule');

@Module({})
class RampartOptionsModule {}

type Options = RampartModuleFactoryOptions;

function isAsync<T>(part: RampartPartOptions<T>): part is RampartAsyncPart<T> {
  return typeof (part as Partial<RampartAsyncPart<T>>).useFactory === 'function';
}

/** A lib's module from its part: `forRootAsync` for a factory, `forRoot` for options. */
function libModule<T>(
  lib: { forRoot(options: T): DynamicModule; forRootAsync(options: RampartAsyncPart<T>): DynamicModule },
  part: RampartPartOptions<T>,
): DynamicModule {
  return isAsync(part) ? lib.forRootAsync(part) : lib.forRoot(part);
}

function platformOf(options: RampartModuleOptions): RampartPlatformOptions {
  return Object.freeze({
    ...(options.headers ? { headers: options.headers } : {}),
    ...(options.httpsRedirect ? { httpsRedirect: options.httpsRedirect } : {}),
    ...(options.cors ? { cors: options.cors } : {}),
  });
}

function platformProvider(inject: symbol[], useFactory: (...args: never[]) => RampartPlatformOptions) {
  return {
    provide: Symbol('RAMPART_PLATFORM_OPTIONS'),
    inject: [RampartPipeline, ...inject],
    useFactory: (pipeline: RampartPipeline, ...args: never[]) => {
      const platform = useFactory(...args);
      pipeline.install(PLATFORM_PART, platform);
      return platform;
    },
  };
}

/**
 * Every Rampart lib in one import, composed in one fixed order: the guard phases threat →
 * pre-authentication limits → authenticate → authorize → post-authentication limits, and (with
 * `useRampart(app)`) the platform chain request context → security headers → threat → HTTPS
 * redirect → request limits → CORS. Each part takes the options its lib takes alone; the libs
 * stay importable one by one and compose in the same order then.
 * @publicApi
 * @example
 * RampartModule.forRoot({
 *   core: { trustedProxies: ['loopback'], store: { type: 'redis', url: process.env.REDIS_URL } },
 *   auth: { jwt: { issuer, audience, jwksUrl } },
 *   rateLimit: { defaultPolicy: { key: 'ip', tiers: DEFAULT_TIERS } },
 *   threat: { mode: 'block' },
 *   validation: {},
 *   cors: { origins: ['https://app.example.com'] },
 * })
 */
@Module({})
export class RampartModule {
  static forRoot(options: RampartModuleOptions = {}): DynamicModule {
    const { validation, auth, rateLimit, threat } = options;
    return {
      module: RampartModule,
      global: true,
      imports: [
        RampartPipelineModule,
        libModule(RampartCoreModule, options.core ?? {}),
        libModule(ErrorsModule, options.errors ?? {}),
        ...(validation === undefined ? [] : [libModule(ValidationModule, validation)]),
        ...(auth === undefined ? [] : [libModule(AuthModule, auth)]),
        ...(rateLimit === undefined ? [] : [libModule(RateLimitModule, rateLimit)]),
        ...(threat === undefined ? [] : [libModule(ThreatModule, threat)]),
      ],
      providers: [platformProvider([], () => platformOf(options))],
    };
  }

  static forRootAsync(async: RampartModuleAsyncOptions): DynamicModule {
    const holder: DynamicModule = {
      module: RampartOptionsModule,
      imports: async.imports ?? [],
      providers: [{ provide: RAMPART_OPTIONS, inject: async.inject ?? [], useFactory: async.useFactory }],
      exports: [RAMPART_OPTIONS],
    };
    const part = <T>(pick: (options: Options) => T) => ({
      imports: [holder],
      inject: [RAMPART_OPTIONS],
      useFactory: (options: Options) => pick(options),
    });
    const libs = new Set<RampartLib>(async.libs);
    return {
      module: RampartModule,
      global: true,
      imports: [
        holder,
        RampartPipelineModule,
        RampartCoreModule.forRootAsync(part((o) => o.core ?? {})),
        ErrorsModule.forRootAsync(part((o) => o.errors ?? {})),
        ...(libs.has('validation') ? [ValidationModule.forRootAsync(part((o) => o.validation ?? {}))] : []),
        ...(libs.has('auth') ? [AuthModule.forRootAsync(part((o) => o.auth ?? {}))] : []),
        ...(libs.has('rateLimit') ? [RateLimitModule.forRootAsync(part((o) => o.rateLimit ?? {}))] : []),
        ...(libs.has('threat') ? [ThreatModule.forRootAsync(part((o) => o.threat ?? {}))] : []),
      ],
      providers: [platformProvider([RAMPART_OPTIONS], (options: Options) => platformOf(options))],
    };
  }
}
