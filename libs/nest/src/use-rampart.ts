import type { INestApplication } from '@nestjs/common';
import { pipelineOf, useRequestContext } from '@rampart/core';
import { strictCors, useHttpsRedirect, useSecurityHeaders } from '@rampart/headers';
import { useThreatDetection } from '@rampart/threat';
import { useRequestLimits } from '@rampart/validation';
import { PLATFORM_PART } from './rampart.module';
import type { RampartPlatformOptions } from './rampart.options';

/**
 * Installs Rampart's whole platform chain, on Express and Fastify alike, in its one order:
 * request context → security headers → threat (bans; when ThreatModule is installed) → HTTPS
 * redirect (when enabled) → request limits → CORS (when configured). Call it once, before
 * `app.init()`/`listen()`; options come from `RampartModule.forRoot()` unless given here. A second
 * call, or a `use*()` function of a lib on top of it, fails with `RAMPART_INSTALLED_TWICE`.
 * @publicApi
 * @example
 * const app = await NestFactory.create(AppModule);
 * useRampart(app);
 * await app.listen(3000);
 */
export function useRampart(app: INestApplication, overrides?: RampartPlatformOptions): void {
  const pipeline = pipelineOf(app);
  const options = overrides ?? pipeline?.part(PLATFORM_PART) ?? {};
  useRequestContext(app);
  useSecurityHeaders(app, options.headers);
  if (pipeline?.installed('ThreatModule')) useThreatDetection(app);
  useHttpsRedirect(app, options.httpsRedirect);
  useRequestLimits(app);
  // The platform's own CORS (cors on Express, @fastify/cors on Fastify), registered after the
  // chain above: it answers preflights only for requests that passed the limits.
  // With AuthModule, DPoP-bound tokens are accepted: browsers may send proofs and read the nonce
  // and the challenge (unless the options say otherwise).
  if (options.cors) {
    app.enableCors(strictCors({ dpop: pipeline?.installed('AuthModule') ?? false, ...options.cors }));
  }
}
