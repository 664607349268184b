import { SecurityEvents, type SecurityEvent } from '@rampart/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpServer, type LocalServer } from '../../../test/utils/outbound-servers';
import { OutboundClient } from './outbound.client';
import {
  OutboundAddressDeniedError,
  OutboundHostNotAllowedError,
  OutboundInvalidUrlError,
  OutboundSchemeNotAllowedError,
  OutboundTooManyRedirectsError,
} from './outbound.errors';
import type { OutboundResolver, ResolvedAddress } from './outbound.options';

const answers =
  (...addresses: string[]): OutboundResolver =>
  async () =>
    addresses.map((address): ResolvedAddress => ({ address, family: address.includes(':') ? 6 : 4 }));

/** The test-only escape: the partner servers of these tests listen on loopback. */
const LOOPBACK_PARTNER = { allowPrivateNetworks: ['127.0.0.1/32'] } as const;

describe('OutboundClient: the SSRF deny list', () => {
  // A real server on 127.0.0.1: every refused call must leave its connection count at 0.
  let victim: LocalServer;
  const clients: OutboundClient[] = [];
  const client = (options: ConstructorParameters<typeof OutboundClient>[0]) => {
    const created = new OutboundClient(options);
    clients.push(created);
    return created;
  };

  beforeAll(async () => {
    victim = await startHttpServer((_req, res) => res.end('internal secret'));
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await victim.close();
  });

  const literals = (port: number) => [
    `https://127.0.0.1:${port}/`,
    'https://169.254.169.254/latest/meta-data/',
    `https://[::ffff:127.0.0.1]:${port}/`,
    `https://0x7f000001:${port}/`,
    `https://2130706433:${port}/`,
    `https://0177.0.0.1:${port}/`,
    `https://127.1:${port}/`,
    `https://[::1]:${port}/`,
    `https://[64:ff9b::7f00:1]:${port}/`, // NAT64 of 127.0.0.1
    `https://[2002:7f00:1::1]:${port}/`, // 6to4 of 127.0.0.1
    `https://[::7f00:1]:${port}/`, // IPv4-compatible
    `https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/`, // Teredo
    `https://[fd00:ec2::254]/`, // AWS metadata over IPv6
    'https://100.100.100.200/', // Alibaba metadata (CGNAT)
  ];

  it('refuses every spelling of a non-public IP literal, even with any public host allowed', async () => {
    const open = client({ allowAnyPublicHost: true });
    for (const url of literals(victim.port)) {
      await expect(open.request(url), url).rejects.toBeInstanceOf(OutboundAddressDeniedError);
    }
    expect(victim.connections()).toBe(0);
  });

  it('refuses them even when the literal itself is on the allowlist', async () => {
    const listed = client({ allowedHosts: [{ host: '127.0.0.1', allowHttp: true }, '[::1]', '0x7f000001'] });
    await expect(listed.request(`http://127.0.0.1:${victim.port}/`)).rejects.toMatchObject({
      outboundCode: 'OUTBOUND_ADDRESS_DENIED',
      code: 'BAD_GATEWAY',
      status: 502,
    });
    await expect(listed.request(`https://[::1]:${victim.port}/`)).rejects.toBeInstanceOf(OutboundAddressDeniedError);
    await expect(listed.request(`https://0x7f000001:${victim.port}/`)).rejects.toBeInstanceOf(
      OutboundAddressDeniedError,
    );
    expect(victim.connections()).toBe(0);
  });

  it('refuses a name that resolves to a private address (system resolver: localhost)', async () => {
    const open = client({ allowedHosts: [{ host: 'localhost', allowHttp: true }] });
    await expect(open.request(`http://localhost:${victim.port}/`)).rejects.toMatchObject({
      outboundCode: 'OUTBOUND_ADDRESS_DENIED',
      address: expect.stringMatching(/^(127\.0\.0\.1|::1)$/),
    });
    expect(victim.connections()).toBe(0);
  });

  it.each([['10.0.0.5'], ['169.254.169.254'], ['::ffff:a9fe:a9fe'], ['64:ff9b::a00:5'], ['fe80::1']])(
    'refuses a name whose DNS answer is %s',
    async (address) => {
      const open = client({ allowedHosts: ['partner.test'], resolver: answers(address) });
      await expect(open.request('https://partner.test/')).rejects.toMatchObject({ address });
    },
  );

  it('refuses a name when ANY of its answers is non-public, whatever the order', async () => {
    const first = client({ allowedHosts: ['partner.test'], resolver: answers('93.184.216.34', '127.0.0.1') });
    const last = client({ allowedHosts: ['partner.test'], resolver: answers('127.0.0.1', '93.184.216.34') });
    await expect(first.request('https://partner.test/')).rejects.toBeInstanceOf(OutboundAddressDeniedError);
    await expect(last.request('https://partner.test/')).rejects.toBeInstanceOf(OutboundAddressDeniedError);
  });

  it('reports each refusal as an outbound.refused security event', async () => {
    const events = new SecurityEvents();
    events.setLogging(false);
    const seen: SecurityEvent[] = [];
    events.subscribe((event) => seen.push(event), ['outbound.refused']);
    const reporting = client({ allowedHosts: ['partner.test'], resolver: answers('169.254.169.254'), events });
    await expect(reporting.request('https://partner.test/')).rejects.toBeInstanceOf(OutboundAddressDeniedError);
    await expect(reporting.request('https://evil.test/')).rejects.toBeInstanceOf(OutboundHostNotAllowedError);
    expect(seen).toMatchObject([
      {
        type: 'outbound.refused',
        severity: 'high',
        outcome: 'failure',
        reason: 'outbound_address_denied',
        details: { client: 'client', host: 'partner.test', address: '169.254.169.254' },
      },
      { severity: 'medium', reason: 'outbound_host_not_allowed', details: { host: 'evil.test', redirect: false } },
    ]);
  });

  it('keeps the deny list for addresses outside allowPrivateNetworks', async () => {
    const escaped = client({ allowedHosts: ['partner.test'], ...LOOPBACK_PARTNER, resolver: answers('10.0.0.1') });
    await expect(escaped.request('https://partner.test/')).rejects.toBeInstanceOf(OutboundAddressDeniedError);
  });
});

describe('OutboundClient: DNS rebinding', () => {
  // The partner listens on 127.0.0.2 (exempted for the test), the victim on 127.0.0.1, same port:
  // a client that looked the name up twice (check, then connect) would reach the victim.
  let partner: LocalServer;
  let victim: LocalServer;
  let client: OutboundClient;
  let lookups = 0;

  beforeAll(async () => {
    // The victim takes the partner's port on 127.0.0.1; retried if that port is taken there.
    for (let attempt = 0; ; attempt++) {
      partner = await startHttpServer((_req, res) => res.setHeader('connection', 'close').end('partner'), '127.0.0.2');
      try {
        victim = await startHttpServer((_req, res) => res.end('internal secret'), '127.0.0.1', partner.port);
        break;
      } catch (error) {
        await partner.close();
        if (attempt > 5) throw error;
      }
    }
    client = new OutboundClient({
      allowedHosts: [{ host: 'rebind.test', allowHttp: true }],
      allowPrivateNetworks: ['127.0.0.2/32'],
      // First answer the exempted partner, then every answer after it 127.0.0.1.
      resolver: async () => [{ address: lookups++ === 0 ? '127.0.0.2' : '127.0.0.1', family: 4 }],
    });
  });
  afterAll(async () => {
    await client.close();
    await Promise.all([partner.close(), victim.close()]);
  });

  it('connects to the address it checked, and refuses the second answer when it turns to 127.0.0.1', async () => {
    const first = await client.request(`http://rebind.test:${partner.port}/`);
    expect(first.text()).toBe('partner');
    expect(lookups).toBe(1); // one lookup per connection: nothing to rebind between check and connect
    await expect(client.request(`http://rebind.test:${partner.port}/`)).rejects.toMatchObject({
      outboundCode: 'OUTBOUND_ADDRESS_DENIED',
      address: '127.0.0.1',
    });
    expect(victim.connections()).toBe(0);
    expect(partner.connections()).toBe(1);
  });
});

describe('OutboundClient: allowlist, schemes and redirects', () => {
  let partner: LocalServer;
  let hits: string[] = [];
  let client: OutboundClient;

  beforeAll(async () => {
    partner = await startHttpServer((req, res) => {
      hits.push(`${req.headers.host} ${req.url} ${req.headers.authorization ?? '-'}`);
      const [, action, target] = /^\/(\w+)(?:\?to=(.*))?$/.exec(req.url ?? '') ?? [];
      if (action === 'redirect') res.writeHead(302, { location: decodeURIComponent(target ?? '') }).end();
      else if (action === 'loop') res.writeHead(301, { location: '/loop' }).end();
      else if (action === 'seeOther') res.writeHead(303, { location: '/echo' }).end();
      else if (action === 'temporary') res.writeHead(307, { location: '/echo' }).end();
      else {
        let body = '';
        req.on('data', (chunk: Buffer) => (body += chunk.toString()));
        req.on('end', () => res.end(body === '' ? `ok ${req.method}` : `ok ${req.method} ${body}`));
      }
    });
    client = new OutboundClient({
      allowedHosts: [
        { host: 'partner.test', allowHttp: true },
        { host: '*.partner.test', allowHttp: true },
      ],
      ...LOOPBACK_PARTNER,
      resolver: answers('127.0.0.1'),
    });
  });
  afterAll(async () => {
    await client.close();
    await partner.close();
  });

  const at = (host: string, path: string) => `http://${host}:${partner.port}${path}`;
  const redirectTo = (location: string) => at('partner.test', `/redirect?to=${encodeURIComponent(location)}`);

  it('calls an allowed host and its allowed subdomains', async () => {
    expect((await client.request(at('partner.test', '/x'))).text()).toBe('ok GET');
    expect((await client.request(at('api.eu.partner.test', '/x'))).status).toBe(200);
  });

  it('refuses a host off the allowlist before connecting, lookalikes included', async () => {
    hits = [];
    for (const host of ['evil.test', 'partner.test.evil.test', 'evilpartner.test']) {
      await expect(client.request(at(host, '/'))).rejects.toMatchObject({
        outboundCode: 'OUTBOUND_HOST_NOT_ALLOWED',
        redirect: false,
      });
    }
    expect(hits).toEqual([]);
  });

  it('refuses a redirect to a host off the allowlist', async () => {
    for (const location of [
      `http://evil.test:${partner.port}/`,
      `http://127.0.0.1:${partner.port}/`,
      'http://169.254.169.254/latest/meta-data/',
    ]) {
      await expect(client.request(redirectTo(location)), location).rejects.toMatchObject({
        outboundCode: 'OUTBOUND_HOST_NOT_ALLOWED',
        redirect: true,
      });
    }
  });

  it('follows a redirect to an allowed host, dropping credentials when the origin changes', async () => {
    hits = [];
    const response = await client.request(redirectTo(at('api.partner.test', '/landing')), {
      headers: { Authorization: 'Bearer partner-key' },
    });
    expect(response.text()).toBe('ok GET');
    expect(response.url).toBe(at('api.partner.test', '/landing'));
    expect(hits[0]).toMatch(/Bearer partner-key$/);
    expect(hits[1]).toMatch(/ -$/);
  });

  it('turns a 303 into a GET without the body, and resends method and body on a 307', async () => {
    const post = { method: 'POST', body: '{"order":1}', headers: { 'content-type': 'application/json' } } as const;
    expect((await client.request(at('partner.test', '/seeOther'), post)).text()).toBe('ok GET');
    expect((await client.request(at('partner.test', '/temporary'), post)).text()).toBe('ok POST {"order":1}');
  });

  it('limits the number of redirects', async () => {
    await expect(client.request(at('partner.test', '/loop'))).rejects.toBeInstanceOf(OutboundTooManyRedirectsError);
    const none = new OutboundClient({
      allowedHosts: [{ host: 'partner.test', allowHttp: true }],
      maxRedirects: 0,
      ...LOOPBACK_PARTNER,
      resolver: answers('127.0.0.1'),
    });
    expect((await none.request(at('partner.test', '/loop'))).status).toBe(301);
    await none.close();
  });

  it('refuses http to a host without allowHttp, and other schemes', async () => {
    const strict = new OutboundClient({
      allowedHosts: ['partner.test'],
      ...LOOPBACK_PARTNER,
      resolver: answers('127.0.0.1'),
    });
    await expect(strict.request(at('partner.test', '/'))).rejects.toBeInstanceOf(OutboundSchemeNotAllowedError);
    await expect(strict.request('ftp://partner.test/')).rejects.toBeInstanceOf(OutboundSchemeNotAllowedError);
    await expect(strict.request('file:///etc/passwd')).rejects.toBeInstanceOf(OutboundHostNotAllowedError);
    await strict.close();
  });

  it('refuses a redirect that downgrades to http on a https-only host', async () => {
    const mixed = new OutboundClient({
      allowedHosts: [{ host: 'partner.test', allowHttp: true }, 'secure.partner.test'],
      ...LOOPBACK_PARTNER,
      resolver: answers('127.0.0.1'),
    });
    await expect(mixed.request(redirectTo(at('secure.partner.test', '/')))).rejects.toBeInstanceOf(
      OutboundSchemeNotAllowedError,
    );
    await mixed.close();
  });

  it('refuses URLs with credentials or that do not parse', async () => {
    await expect(client.request(`http://user:pass@partner.test:${partner.port}/`)).rejects.toBeInstanceOf(
      OutboundInvalidUrlError,
    );
    await expect(client.request('not a url')).rejects.toBeInstanceOf(OutboundInvalidUrlError);
  });
});
