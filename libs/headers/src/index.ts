export {
  useSecurityHeaders,
  helmetOptions,
  DEFAULT_CONTENT_SECURITY_POLICY,
  DEFAULT_PERMISSIONS_POLICY,
} from './security-headers';
export type { SecurityHeadersOptions } from './security-headers';
export { SecurityHeaders } from './security-headers.decorator';
export type { SecurityHeadersOverride } from './security-headers.decorator';
export { SecurityHeadersInterceptor } from './security-headers.interceptor';
export { overrideSecurityHeaders } from './path-overrides';
export { strictCors } from './cors';
export type { StrictCorsOptions, CorsOptions } from './cors';
export { useHttpsRedirect } from './https-redirect';
export type { HttpsRedirectOptions } from './https-redirect';
export { tlsServerOptions } from './tls';
export type { TlsOptions } from './tls';
