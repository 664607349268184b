import { Logger, type INestApplication } from '@nestjs/common';
import { normalizeIp, TrustedProxies } from '@rampart/core';
import type { IncomingMessage, Server } from 'node:http';
import { APP_CONFIG, DEFAULT_TRUSTED_PROXIES, type AppConfig } from './app.config';

/**
 * Makes the default of `TRUSTED_PROXIES` visible: one warning at start-up that only loopback is
 * trusted, and one, the first time it happens, when a request with `X-Forwarded-For` comes from a
 * peer trusted only by that default. A proxy on another host (its forwarded addresses ignored: every
 * client one identity) or a local one nobody configured on purpose both show up in the log.
 * Nothing when `TRUSTED_PROXIES` is set (an empty value trusts nobody).
 */
export function warnAboutDefaultProxyTrust(app: INestApplication): void {
  const config = app.get<AppConfig>(APP_CONFIG);
  if (!config.trustedProxiesByDefault) return;
  const logger = new Logger('TrustedProxies');
  logger.warn(
    `TRUSTED_PROXIES is unset: X-Forwarded-For is believed only from loopback (${DEFAULT_TRUSTED_PROXIES.join(', ')}). ` +
      'Set TRUSTED_PROXIES to your proxies (addresses, CIDRs), or to an empty value to trust none.',
  );
  const defaultTrust = new TrustedProxies(DEFAULT_TRUSTED_PROXIES);
  const server = app.getHttpServer() as Server;
  // The server's own 'request' event: every request on Express and Fastify, before any routing.
  let warned = false;
  server.on('request', (req: IncomingMessage) => {
    if (warned || req.headers['x-forwarded-for'] === undefined) return;
    const peer = normalizeIp(req.socket.remoteAddress);
    if (peer === undefined || !defaultTrust.has(peer)) return;
    warned = true; // once: a warning per request would flood the log
    logger.warn(
      `A request with X-Forwarded-For came from ${peer}, trusted only by the default TRUSTED_PROXIES: ` +
        'set TRUSTED_PROXIES explicitly if this proxy is yours.',
    );
  });
}
