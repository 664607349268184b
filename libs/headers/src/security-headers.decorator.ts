import { applyDecorators, SetMetadata, UseInterceptors } from '@nestjs/common';
import { SECURITY_HEADERS_METADATA } from './headers.constants';
import { SecurityHeadersInterceptor } from './security-headers.interceptor';

/** Per-route header overrides. A header set to `false` is removed. @publicApi */
export interface SecurityHeadersOverride {
  contentSecurityPolicy?: string | false;
  cacheControl?: string | false;
  crossOriginResourcePolicy?: 'same-origin' | 'same-site' | 'cross-origin';
}

/**
 * Overrides the preset's headers for one route or controller: a page that must render HTML
 * (a login form), or public data that may be cached.
 * @publicApi
 * @example
 * @SecurityHeaders({ cacheControl: 'public, max-age=300' })
 * @Get('catalogue') catalogue() {}
 */
export function SecurityHeaders(override: SecurityHeadersOverride): MethodDecorator & ClassDecorator {
  return applyDecorators(SetMetadata(SECURITY_HEADERS_METADATA, override), UseInterceptors(SecurityHeadersInterceptor));
}
