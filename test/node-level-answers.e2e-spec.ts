import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLATFORMS, startApp, type TestApp } from './utils/test-app';

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Sends bytes on a fresh connection and reads until the server closes it: what Node itself answers. */
function exchange(port: number, request: string, keepOpenMs = 0): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (received += chunk));
    // The server may answer and close before it has read everything sent (a reset then follows):
    // what it answered is what counts.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      const [head = '', body = ''] = received.split('\r\n\r\n', 2);
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body });
    });
    socket.write(request);
    if (keepOpenMs === 0) socket.end();
  });
}

function expectRampartAnswer(answer: RawAnswer, status: number, code: string, mustNotEcho: string[]): void {
  expect(answer.status).toBe(status);
  expect(answer.headers['content-type']).toBe('application/problem+json; charset=utf-8');
  expect(answer.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  expect(answer.headers['x-frame-options']).toBe('DENY');
  expect(answer.headers['content-security-policy']).toContain("default-src 'none'");
  expect(answer.headers['strict-transport-security']).toContain('max-age=');
  expect(answer.headers['cache-control']).toBe('no-store');
  const body = JSON.parse(answer.body) as Record<string, unknown>;
  expect(body).toMatchObject({ status, code, requestId: answer.headers['x-request-id'] });
  for (const echoed of mustNotEcho) expect(answer.body).not.toContain(echoed);
}

describe.each(PLATFORMS)('answers made before the application (%s)', (platform) => {
  let t: TestApp;
  let port: number;
  beforeAll(async () => {
    t = await startApp(platform);
    // Node checks header and request timeouts on this interval, set up when the server starts listening.
    Object.assign(t.server, { connectionsCheckingInterval: 50, headersTimeout: 300, requestTimeout: 300 });
    await new Promise<void>((resolve) => t.server.listen(0, '127.0.0.1', resolve));
    port = (t.server.address() as AddressInfo).port;
  });
  afterAll(() => t.close());

  it("a path the router cannot decode (Fastify's own FST_ERR_BAD_URL) is a 400 problem that echoes nothing", async () => {
    const answer = await exchange(port, 'GET /%ff<script>alert(1)</script> HTTP/1.1\r\nHost: a\r\n\r\n');
    expectRampartAnswer(answer, 400, 'BAD_REQUEST', ['script', '%ff', 'alert']);
  });

  it('a malformed request (Node parser error) is a 400 problem', async () => {
    const answer = await exchange(port, 'GET / HTTP/1.1\r\nHost: a\r\nBad<script> Header\r\n\r\n');
    expectRampartAnswer(answer, 400, 'BAD_REQUEST', ['script', 'Header']);
  });

  it('an HTTP/1.1 request without Host is a 400 problem', async () => {
    expectRampartAnswer(await exchange(port, 'GET /health HTTP/1.1\r\n\r\n'), 400, 'BAD_REQUEST', ['/health']);
  });

  it('oversized headers are a 431 problem, an oversized request line a 414', async () => {
    const big = 'x'.repeat(20_000);
    expectRampartAnswer(
      await exchange(port, `GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${big}\r\n\r\n`),
      431,
      'HEADERS_TOO_LARGE',
      [big.slice(0, 50)],
    );
    expectRampartAnswer(await exchange(port, `GET /${big} HTTP/1.1\r\nHost: a\r\n\r\n`), 414, 'URI_TOO_LONG', [
      big.slice(0, 50),
    ]);
  });

  it('more header fields than Node keeps (maxHeadersCount) is a 431, not a silently truncated request', async () => {
    // `z`: no request id (hex) or timestamp can contain the names (`a1` is in one random UUID in nine).
    const fields = Array.from({ length: 2_100 }, (_, i) => `z${i}:1\r\n`).join('');
    expectRampartAnswer(
      await exchange(port, `GET /health HTTP/1.1\r\nHost: a\r\n${fields}\r\n`),
      431,
      'HEADERS_TOO_LARGE',
      ['z1'],
    );
  });

  it('a long URL within the header limit is a 414 problem from the request limits', async () => {
    const path = `/health?${'q'.repeat(9_000)}`;
    expectRampartAnswer(
      await exchange(port, `GET ${path} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`),
      414,
      'URI_TOO_LONG',
      ['qqqq'],
    );
  });

  it('a request whose headers never finish is a 408 problem', async () => {
    const answer = await exchange(port, 'GET /health HTTP/1.1\r\nHost: a\r\nX-Slow: ', 1);
    expectRampartAnswer(answer, 408, 'TIMEOUT', ['X-Slow']);
  }, 10_000);
});
