import type { ServerResponse } from 'node:http';
import { IsInt, IsString } from 'class-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  selfSignedCertificate,
  startHttpServer,
  startHttpsServer,
  type LocalServer,
  type TestCertificate,
} from '../../../test/utils/outbound-servers';
import { OutboundClient } from './outbound.client';
import {
  OutboundCertificatePinError,
  OutboundConnectionError,
  OutboundResponseInvalidError,
  OutboundResponseTooLargeError,
  OutboundTimeoutError,
  OutboundUpstreamStatusError,
} from './outbound.errors';
import type { OutboundClientOptions } from './outbound.options';

/** Test-only escape and resolver: `partner.test` is a server on loopback. */
const LOCAL: OutboundClientOptions = {
  allowPrivateNetworks: ['127.0.0.1/32'],
  resolver: async () => [{ address: '127.0.0.1', family: 4 }],
};

describe.each(['ec', 'rsa'] as const)(
  'OutboundClient: certificate pinning (local HTTPS server, self-signed %s)',
  (keyType) => {
    let certificate: TestCertificate;
    let other: TestCertificate;
    let server: LocalServer;
    const clients: OutboundClient[] = [];
    const client = (pins: string[] | undefined, ca: string) => {
      const created = new OutboundClient({ ...LOCAL, allowedHosts: [{ host: 'partner.test', pins }], ca });
      clients.push(created);
      return created;
    };

    beforeAll(async () => {
      certificate = selfSignedCertificate('partner.test', keyType);
      other = selfSignedCertificate('partner.test', keyType);
      server = await startHttpsServer(certificate, (_req, res) => res.end('pinned hello'));
    });
    afterAll(async () => {
      await Promise.all(clients.map((c) => c.close()));
      await server.close();
    });

    const url = () => `https://partner.test:${server.port}/`;

    it('passes when the server key matches a pin (computed by openssl)', async () => {
      const response = await client([other.pin, certificate.pin], certificate.cert).request(url());
      expect(response.text()).toBe('pinned hello');
    });

    it('refuses a server whose key matches no pin, though its certificate is trusted', async () => {
      await expect(client([other.pin], certificate.cert).request(url())).rejects.toBeInstanceOf(
        OutboundCertificatePinError,
      );
    });

    it('refuses an untrusted certificate, pinned or not', async () => {
      await expect(client([certificate.pin], other.cert).request(url())).rejects.toBeInstanceOf(
        OutboundConnectionError,
      );
      await expect(client(undefined, other.cert).request(url())).rejects.toBeInstanceOf(OutboundConnectionError);
    });

    it('verifies the certificate against the host name, not the address it connected to', async () => {
      const wrongName = new OutboundClient({ ...LOCAL, allowedHosts: ['other.test'], ca: certificate.cert });
      clients.push(wrongName);
      await expect(wrongName.request(`https://other.test:${server.port}/`)).rejects.toMatchObject({
        outboundCode: 'OUTBOUND_CONNECTION_FAILED',
        cause: expect.objectContaining({ code: 'ERR_TLS_CERT_ALTNAME_INVALID' }),
      });
    });
  },
);

describe('OutboundClient: size and time limits', () => {
  let server: LocalServer;
  // Whether the server finished writing each response: a cut-off body never does.
  const finished: Record<string, boolean> = {};
  const clients: OutboundClient[] = [];
  const client = (options: OutboundClientOptions) => {
    const created = new OutboundClient({
      ...LOCAL,
      allowedHosts: [{ host: 'partner.test', allowHttp: true }],
      ...options,
    });
    clients.push(created);
    return created;
  };

  /** Writes `total` bytes in 16 KiB chunks, respecting back-pressure, until done or cut off. */
  function stream(res: ServerResponse, total: number, key: string): void {
    finished[key] = false;
    const chunk = Buffer.alloc(16 * 1024, 'a');
    let sent = 0;
    const write = () => {
      while (sent < total && !res.destroyed) {
        sent += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', write);
      }
      if (!res.destroyed) res.end(() => (finished[key] = true));
    };
    write();
  }

  beforeAll(async () => {
    server = await startHttpServer((req, res) => {
      if (req.url === '/huge-chunked') return stream(res, 8 * 1024 * 1024, 'chunked');
      if (req.url === '/huge-declared') {
        res.setHeader('content-length', String(8 * 1024 * 1024));
        return stream(res, 8 * 1024 * 1024, 'declared');
      }
      if (req.url === '/trickle') {
        // Headers at once, then one byte every 50 ms, for ever.
        res.writeHead(200);
        const timer = setInterval(() => res.write('.'), 50);
        res.on('close', () => clearInterval(timer));
        return;
      }
      if (req.url === '/no-headers') return; // never answers
      res.end('small');
    });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await server.close();
  });

  const url = (path: string) => `http://partner.test:${server.port}${path}`;

  it('cuts a chunked body off at maxResponseBytes and closes the connection', async () => {
    const limited = client({ maxResponseBytes: 64 * 1024 });
    await expect(limited.request(url('/huge-chunked'))).rejects.toMatchObject({
      outboundCode: 'OUTBOUND_RESPONSE_TOO_LARGE',
      limitBytes: 64 * 1024,
    });
    await expect.poll(() => finished.chunked === false && server.connections() > 0).toBe(true);
    expect(finished.chunked).toBe(false);
    expect((await limited.request(url('/small'))).text()).toBe('small');
  });

  it('refuses a declared Content-Length over the limit before reading', async () => {
    await expect(client({ maxResponseBytes: 1024 }).request(url('/huge-declared'))).rejects.toBeInstanceOf(
      OutboundResponseTooLargeError,
    );
    expect(finished.declared).toBe(false);
  });

  it('applies a per-call limit lower than the client’s', async () => {
    await expect(client({}).request(url('/huge-chunked'), { maxResponseBytes: 1024 })).rejects.toBeInstanceOf(
      OutboundResponseTooLargeError,
    );
  });

  it('cuts a trickling body off at the total timeout', async () => {
    const started = Date.now();
    await expect(client({ totalTimeoutMs: 400 }).request(url('/trickle'))).rejects.toMatchObject({
      outboundCode: 'OUTBOUND_TIMEOUT',
      phase: 'total',
      status: 504,
      code: 'TIMEOUT',
    });
    // Generous margin for a loaded machine: the trickle alone would never end.
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('gives up on a server that never sends headers', async () => {
    await expect(client({ headersTimeoutMs: 300 }).request(url('/no-headers'))).rejects.toMatchObject({
      outboundCode: 'OUTBOUND_TIMEOUT',
      phase: 'headers',
    });
  });

  it('times out a DNS lookup that never answers', async () => {
    const hanging = client({ connectTimeoutMs: 200, resolver: () => new Promise(() => undefined) });
    await expect(hanging.request(url('/small'))).rejects.toMatchObject({
      outboundCode: 'OUTBOUND_TIMEOUT',
      phase: 'connect',
    });
  });

  it('passes the caller’s own abort through', async () => {
    const controller = new AbortController();
    const pending = client({}).request(url('/no-headers'), { signal: controller.signal });
    controller.abort(new Error('caller gave up'));
    await expect(pending).rejects.toThrow('caller gave up');
  });

  it('reports a refused connection as OUTBOUND_CONNECTION_FAILED', async () => {
    const closed = await startHttpServer(() => undefined);
    const port = closed.port;
    await closed.close();
    await expect(client({}).request(`http://partner.test:${port}/`)).rejects.toBeInstanceOf(OutboundConnectionError);
  });

  it('rejects with typed errors only', async () => {
    const error = await client({ totalTimeoutMs: 200 })
      .request(url('/trickle'))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutboundTimeoutError);
  });
});

class QuoteDto {
  @IsString()
  currency!: string;

  @IsInt()
  amount!: number;
}

describe('OutboundClient.json: response validation (OWASP API10)', () => {
  let server: LocalServer;
  let client: OutboundClient;
  const bodies: Record<string, [number, string]> = {
    '/valid': [200, JSON.stringify({ currency: 'EUR', amount: 12, isAdmin: true })],
    '/wrong-type': [200, JSON.stringify({ currency: 'EUR', amount: '12; DROP TABLE' })],
    '/array': [200, '[1,2]'],
    '/not-json': [200, '<html>oops</html>'],
    '/proto': [200, '{"currency":"EUR","amount":1,"__proto__":{"isAdmin":true}}'],
    '/error': [500, JSON.stringify({ currency: 'EUR', amount: 1 })],
  };

  beforeAll(async () => {
    server = await startHttpServer((req, res) => {
      const [status, body] = bodies[req.url ?? ''] ?? [404, '{}'];
      res.writeHead(status, { 'content-type': 'application/json' }).end(body);
    });
    client = new OutboundClient({ ...LOCAL, allowedHosts: [{ host: 'partner.test', allowHttp: true }] });
  });
  afterAll(async () => {
    await client.close();
    await server.close();
  });

  const url = (path: string) => `http://partner.test:${server.port}${path}`;
  const schema = z.object({ currency: z.string().length(3), amount: z.number().int() });

  it('returns the validated DTO, undeclared fields dropped', async () => {
    const quote = await client.json(url('/valid'), { schema: QuoteDto });
    expect(quote).toBeInstanceOf(QuoteDto);
    expect(quote).toEqual({ currency: 'EUR', amount: 12 });
  });

  it('returns a Standard Schema’s output', async () => {
    expect(await client.json(url('/valid'), { schema })).toEqual({ currency: 'EUR', amount: 12 });
  });

  it.each(['/wrong-type', '/array', '/not-json', '/proto'])(
    'refuses %s with OUTBOUND_RESPONSE_INVALID',
    async (path) => {
      await expect(client.json(url(path), { schema: QuoteDto })).rejects.toBeInstanceOf(OutboundResponseInvalidError);
    },
  );

  it('names the failing fields for the logs', async () => {
    await expect(client.json(url('/wrong-type'), { schema })).rejects.toMatchObject({
      errors: [expect.objectContaining({ field: 'amount' })],
    });
    await expect(client.json(url('/wrong-type'), { schema: QuoteDto })).rejects.toMatchObject({
      errors: [expect.objectContaining({ field: 'amount' })],
    });
  });

  it('refuses a status outside 2xx before reading the body as data', async () => {
    await expect(client.json(url('/error'), { schema })).rejects.toMatchObject({
      outboundCode: 'OUTBOUND_UPSTREAM_STATUS',
      upstreamStatus: 500,
    });
    await expect(client.json(url('/missing'))).rejects.toBeInstanceOf(OutboundUpstreamStatusError);
  });
});
