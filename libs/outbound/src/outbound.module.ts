import { Module } from '@nestjs/common';
import { InvalidOptionsError, SecurityEvents } from '@rampart/core';
import { OutboundClient } from './outbound.client';
import { OutboundClients } from './outbound-clients';
import { OutboundSecrets } from './outbound-secrets';
import { OUTBOUND_OPTIONS } from './outbound.constants';
import { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN } from './outbound.module-definition';
import type { OutboundModuleOptions } from './outbound.options';

const KNOWN_OPTIONS = new Set(['clients', 'secrets', 'env', 'production']);

function resolveOutboundOptions(raw: OutboundModuleOptions): Readonly<OutboundModuleOptions> {
  for (const key of Object.keys(raw)) {
    if (!KNOWN_OPTIONS.has(key)) {
      throw new InvalidOptionsError('OUTBOUND_INVALID_OPTIONS', `OutboundModule: unknown option "${key}".`);
    }
  }
  return Object.freeze({ ...raw });
}

/**
 * Safe outbound HTTP: named {@link OutboundClient}s (allowlist, SSRF deny list with pinned DNS,
 * timeouts, size limit, certificate pins, response validation) and {@link OutboundSecrets}
 * checked at bootstrap. Wrong options, or a missing/weak secret in production, stop the app.
 * @publicApi
 * @example
 * OutboundModule.forRoot({
 *   clients: { partner: { allowedHosts: ['api.partner.com'] } },
 *   secrets: { partner: { env: 'PARTNER_API_KEYS' } },
 * })
 */
@Module({
  providers: [
    {
      provide: OUTBOUND_OPTIONS,
      inject: [MODULE_OPTIONS_TOKEN],
      useFactory: resolveOutboundOptions,
    },
    {
      provide: OutboundClients,
      inject: [OUTBOUND_OPTIONS, { token: SecurityEvents, optional: true }],
      useFactory: (options: OutboundModuleOptions, events?: SecurityEvents) =>
        new OutboundClients(
          new Map(
            Object.entries(options.clients ?? {}).map(([name, client]) => [
              name,
              new OutboundClient({ events, ...client }, name),
            ]),
          ),
        ),
    },
    {
      provide: OutboundSecrets,
      inject: [OUTBOUND_OPTIONS],
      useFactory: (options: OutboundModuleOptions) =>
        new OutboundSecrets(
          options.secrets ?? {},
          options.env ?? process.env,
          options.production ?? process.env.NODE_ENV === 'production',
        ),
    },
  ],
  exports: [OUTBOUND_OPTIONS, OutboundClients, OutboundSecrets],
})
export class OutboundModule extends ConfigurableModuleClass {}
