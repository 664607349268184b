import type { FactoryProvider, ModuleMetadata } from '@nestjs/common';
import type { AuthModuleOptions } from '@rampart/auth';
import type { RampartCoreOptions } from '@rampart/core';
import type { ErrorsModuleOptions } from '@rampart/errors';
import type { HttpsRedirectOptions, SecurityHeadersOptions, StrictCorsOptions } from '@rampart/headers';
import type { RateLimitModuleOptions } from '@rampart/rate-limit';
import type { ThreatModuleOptions } from '@rampart/threat';
import type { ValidationModuleOptions } from '@rampart/validation';

/**
 * What `useRampart(app)` installs on the platform, besides the request context and the limits.
 * @publicApi
 */
export interface RampartPlatformOptions {
  /** Options of `useSecurityHeaders`. @default {} (Rampart's API preset) */
  headers?: SecurityHeadersOptions;
  /** Options of `useHttpsRedirect`. @default { enabled: false } */
  httpsRedirect?: HttpsRedirectOptions;
  /** `strictCors` options; without them no CORS header is sent (browsers keep responses from other origins). */
  cors?: StrictCorsOptions;
}

/**
 * A lib's options made by a factory, as its own `forRootAsync` takes them (the factory may inject
 * providers of `imports`).
 * @publicApi
 */
export interface RampartAsyncPart<T> extends Pick<ModuleMetadata, 'imports'> {
  inject?: FactoryProvider['inject'];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the injected providers' types are the caller's
  useFactory: (...args: any[]) => T | Promise<T>;
}

/** A lib's options, given or made by a factory. @publicApi */
export type RampartPartOptions<T> = T | RampartAsyncPart<T>;

/**
 * Options of {@link RampartModule}: one part per lib, each with the options that lib takes alone
 * (or a factory for them). `core` and `errors` are always installed; `validation`, `auth`,
 * `rateLimit` and `threat` only when given (an empty object installs a lib with its defaults).
 * @publicApi
 */
export interface RampartModuleOptions extends RampartPlatformOptions {
  /** `RampartCoreModule` (request context, store, events). @default {} */
  core?: RampartPartOptions<RampartCoreOptions>;
  /** `ErrorsModule` (problem+json). @default {} */
  errors?: RampartPartOptions<ErrorsModuleOptions>;
  /** `ValidationModule`: the validation pipe and the request limits (body, URL, headers, timeouts). */
  validation?: RampartPartOptions<ValidationModuleOptions>;
  /** `AuthModule`: the `authenticate` and `authorize` phases. */
  auth?: RampartPartOptions<AuthModuleOptions>;
  /** `RateLimitModule`: the pre- and post-authentication limit phases. */
  rateLimit?: RampartPartOptions<RateLimitModuleOptions>;
  /** `ThreatModule`: the `threat` phase and bans. */
  threat?: RampartPartOptions<ThreatModuleOptions>;
}

/** What a `forRootAsync` factory returns: every part as plain options. @publicApi */
export type RampartModuleFactoryOptions = {
  [K in keyof RampartModuleOptions]: RampartModuleOptions[K] extends RampartPartOptions<infer T> | undefined
    ? T
    : RampartModuleOptions[K];
};

/** The libs a part of {@link RampartModuleOptions} installs, besides core and errors. @publicApi */
export type RampartLib = 'validation' | 'auth' | 'rateLimit' | 'threat';

/**
 * Options of `RampartModule.forRootAsync`: a factory for {@link RampartModuleOptions}, and the libs
 * to install (known before the factory runs, because Nest needs the module graph first).
 * @publicApi
 */
export interface RampartModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  libs: readonly RampartLib[];
  inject?: FactoryProvider['inject'];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the injected providers' types are the caller's
  useFactory: (...args: any[]) => RampartModuleFactoryOptions | Promise<RampartModuleFactoryOptions>;
}
