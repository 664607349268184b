import { SetMetadata } from '@nestjs/common';
import { REQUEST_LIMITS_METADATA } from '../validation.constants';
import { checkRouteLimits, type RouteLimits } from '../validation.options';

/**
 * Limits for one route or controller, over the application's (`ValidationModule.forRoot()`).
 * Body and JSON-shape limits can only tighten the global ones: the global limits are what the
 * platform's parser enforces before routing, and so what any request can make the server
 * buffer. A route that needs a larger body needs a larger global limit (checked at bootstrap).
 * `timeoutMs` can go either way. On a method, its limits override its controller's one by one.
 * @publicApi
 * @example
 * @RequestLimits({ maxBodyBytes: 2048, maxDepth: 3, timeoutMs: 2000 })
 * @Post('login')
 * login(@Body() body: LoginDto) {}
 */
export function RequestLimits(limits: RouteLimits): MethodDecorator & ClassDecorator {
  checkRouteLimits(limits, '@RequestLimits()');
  const mediaTypes = limits.mediaTypes?.map((type) => type.toLowerCase());
  return SetMetadata(REQUEST_LIMITS_METADATA, Object.freeze({ ...limits, ...(mediaTypes ? { mediaTypes } : {}) }));
}
