import type { ServerOptions } from 'node:https';

/** Options of {@link tlsServerOptions}. @publicApi */
export interface TlsOptions {
  /** PEM certificate chain. */
  cert: string | Buffer;
  /** PEM private key. */
  key: string | Buffer;
}

/**
 * Node `https` server options that accept TLS 1.3 only: no downgrade to TLS 1.2 cipher suites,
 * no renegotiation, forward secrecy always. Pass them as `httpsOptions` to `NestFactory.create`.
 * @publicApi
 * @example
 * const app = await NestFactory.create(AppModule, { httpsOptions: tlsServerOptions({ cert, key }) });
 */
export function tlsServerOptions(options: TlsOptions): ServerOptions {
  return { cert: options.cert, key: options.key, minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' };
}
