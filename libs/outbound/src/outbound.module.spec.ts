import { Test } from '@nestjs/testing';
import { InvalidOptionsError } from '@rampart/core';
import { describe, expect, it } from 'vitest';
import { OutboundClient } from './outbound.client';
import { OutboundClients } from './outbound-clients';
import { OutboundSecrets } from './outbound-secrets';
import { OutboundModule } from './outbound.module';
import type { OutboundClientOptions, OutboundModuleOptions } from './outbound.options';

const STRONG = 'q8Zr2mV7xK4pL9sT1wY6bN3cF5hJ0dGa';
const NEXT = 'Ux7Kd2Lq9Vm4Rt8Zp1Ws6Yb3Nc5Hf0Jg';

async function boot(options: OutboundModuleOptions) {
  const moduleRef = await Test.createTestingModule({ imports: [OutboundModule.forRoot(options)] }).compile();
  return { moduleRef, clients: moduleRef.get(OutboundClients), secrets: moduleRef.get(OutboundSecrets) };
}

function bootError(options: OutboundModuleOptions): Promise<unknown> {
  return boot(options).then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('OutboundModule', () => {
  it('creates the named clients, and closes them at shutdown', async () => {
    const { moduleRef, clients } = await boot({ clients: { partner: { allowedHosts: ['api.partner.com'] } } });
    expect(clients.get('partner')).toBeInstanceOf(OutboundClient);
    expect(() => clients.get('other')).toThrow(/configured are partner/);
    await moduleRef.close();
  });

  it('resolves forRootAsync options', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        OutboundModule.forRootAsync({
          useFactory: async () => ({ clients: { hooks: { allowAnyPublicHost: true } } }),
        }),
      ],
    }).compile();
    expect(moduleRef.get(OutboundClients).get('hooks')).toBeInstanceOf(OutboundClient);
    await moduleRef.close();
  });

  it.each<[string, OutboundClientOptions]>([
    ['no allowlist', {}],
    ['a URL as host', { allowedHosts: ['https://api.partner.com/'] }],
    ['a host with a port', { allowedHosts: ['api.partner.com:8443'] }],
    ['a wildcard in the middle', { allowedHosts: ['api.*.com'] }],
    ['a bad pin', { allowedHosts: [{ host: 'api.partner.com', pins: ['not-a-pin'] }] }],
    ['an empty pin list', { allowedHosts: [{ host: 'api.partner.com', pins: [] }] }],
    ['a bad CIDR', { allowedHosts: ['a.test'], allowPrivateNetworks: ['127.0.0.1'] }],
    ['a zero timeout', { allowedHosts: ['a.test'], totalTimeoutMs: 0 }],
    ['a negative size', { allowedHosts: ['a.test'], maxResponseBytes: -1 }],
    ['a misspelt option', { allowedHosts: ['a.test'], maxRedirect: 2 } as OutboundClientOptions],
  ])('refuses to start with %s', async (_case, client) => {
    const error = await bootError({ clients: { partner: client } });
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect(error).toMatchObject({ code: 'OUTBOUND_INVALID_OPTIONS', message: expect.stringContaining('partner') });
  });

  it('refuses the test-only allowPrivateNetworks escape with NODE_ENV=production', async () => {
    const previous = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      const error = await bootError({
        clients: { partner: { allowedHosts: ['a.test'], allowPrivateNetworks: ['127.0.0.1/32'] } },
      });
      expect(error).toMatchObject({ code: 'OUTBOUND_INVALID_OPTIONS', message: expect.stringContaining('test-only') });
    } finally {
      process.env.NODE_ENV = previous;
    }
  });

  it('refuses an unknown module option', async () => {
    expect(await bootError({ client: {} } as OutboundModuleOptions)).toMatchObject({
      code: 'OUTBOUND_INVALID_OPTIONS',
    });
  });
});

describe('OutboundSecrets', () => {
  const secrets = { partner: { env: 'PARTNER_API_KEYS' } };

  it('reads several active keys for rotation, the current first', async () => {
    const { secrets: read } = await boot({
      secrets,
      env: { PARTNER_API_KEYS: `${STRONG}, ${NEXT}` },
      production: true,
    });
    expect(read.get('partner')).toEqual({ current: STRONG, all: [STRONG, NEXT] });
    expect(Object.isFrozen(read.get('partner').all)).toBe(true);
  });

  it('stops a production app when the variable is missing, naming it', async () => {
    const error = await bootError({ secrets, env: {}, production: true });
    expect(error).toMatchObject({
      code: 'OUTBOUND_INVALID_OPTIONS',
      message: expect.stringContaining('PARTNER_API_KEYS'),
    });
  });

  it.each([
    ['too short', 'Ab3$short-key'],
    ['too few distinct characters', 'abababababababababababababababababab'],
    ['a placeholder', 'changeme-changeme-changeme-0123456789'],
  ])('stops a production app on a weak key (%s), naming the variable, never the value', async (_case, weak) => {
    const error = (await bootError({
      secrets,
      env: { PARTNER_API_KEYS: `${STRONG},${weak}` },
      production: true,
    })) as Error;
    expect(error).toMatchObject({ code: 'OUTBOUND_INVALID_OPTIONS' });
    expect(error.message).toContain('PARTNER_API_KEYS key #2');
    expect(error.message).not.toContain(weak);
    expect(error.message).not.toContain(STRONG);
  });

  it('only warns outside production, where a missing secret is absent', async () => {
    const { secrets: read } = await boot({ secrets, env: {}, production: false });
    expect(read.has('partner')).toBe(false);
    expect(() => read.get('partner')).toThrow(/not configured/);
    const weak = await boot({ secrets, env: { PARTNER_API_KEYS: 'dev' }, production: false });
    expect(weak.secrets.get('partner').current).toBe('dev');
  });

  it('requires a secret marked required even outside production', async () => {
    const error = await bootError({ secrets: { partner: { env: 'PARTNER_API_KEYS', required: true } }, env: {} });
    expect(error).toMatchObject({ code: 'OUTBOUND_INVALID_OPTIONS' });
  });
});
