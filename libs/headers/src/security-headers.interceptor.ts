import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { rawResponse } from '@rampart/core';
import type { Observable } from 'rxjs';
import { SECURITY_HEADERS_METADATA } from './headers.constants';
import type { SecurityHeadersOverride } from './security-headers.decorator';

const HEADER_NAMES: Readonly<Record<keyof SecurityHeadersOverride, string>> = {
  contentSecurityPolicy: 'Content-Security-Policy',
  cacheControl: 'Cache-Control',
  crossOriginResourcePolicy: 'Cross-Origin-Resource-Policy',
};

/** Applies `@SecurityHeaders()` overrides; attached by the decorator, so other routes pay nothing. */
@Injectable()
export class SecurityHeadersInterceptor implements NestInterceptor {
  constructor(private readonly reflector: Reflector) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const override = this.reflector.getAllAndOverride<SecurityHeadersOverride | undefined>(SECURITY_HEADERS_METADATA, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (override) {
      const res = rawResponse(context.switchToHttp().getResponse<object>());
      for (const [key, value] of Object.entries(override) as [keyof SecurityHeadersOverride, string | false][]) {
        if (value === false) res.removeHeader(HEADER_NAMES[key]);
        else res.setHeader(HEADER_NAMES[key], value);
      }
    }
    return next.handle();
  }
}
