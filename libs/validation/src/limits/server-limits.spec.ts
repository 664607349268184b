import { Controller, Get, Module, type INestApplication } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import type { Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useRequestLimits } from './request-limits';

@Controller()
class HelloController {
  @Get()
  hello(): string {
    return 'hi';
  }
}

@Module({ controllers: [HelloController] })
class HelloModule {}

/** Connects, runs `send`, and resolves with what the server wrote and when it closed the socket. */
function exchange(port: number, send: (socket: Socket) => void): Promise<{ text: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve({ text, ms: Date.now() - started }));
    socket.on('connect', () => send(socket));
  });
}

/** Writes one more header line every 100 ms, as a slow-loris client does, until the socket closes. */
function drip(socket: Socket, first: string, line: string): void {
  socket.write(first);
  const timer = setInterval(() => {
    if (socket.destroyed || !socket.writable) clearInterval(timer);
    else socket.write(line);
  }, 100);
  socket.on('close', () => clearInterval(timer));
}

describe.each(['express', 'fastify'] as const)('server limits (%s)', (platform) => {
  let app: INestApplication;
  let port: number;
  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [HelloModule] }).compile();
    app = moduleRef.createNestApplication(platform === 'fastify' ? new FastifyAdapter() : new ExpressAdapter(), {
      logger: false,
    });
    useRequestLimits(app, { headersTimeoutMs: 300, requestTimeoutMs: 600, keepAliveTimeoutMs: 200 });
    await app.listen(0, '127.0.0.1');
    port = ((app.getHttpServer() as Server).address() as AddressInfo).port;
  });
  afterAll(() => app.close());

  it('cuts off a client that drips its headers (slow-loris) with 408 problem+json', async () => {
    const { text, ms } = await exchange(port, (socket) => drip(socket, 'GET / HTTP/1.1\r\nHost: x\r\n', 'X-A: b\r\n'));
    expect(text).toMatch(/^HTTP\/1\.1 408 /);
    expect(text).toContain('application/problem+json');
    expect(text).toContain('"code":"TIMEOUT"');
    expect(ms).toBeLessThan(5000); // Node's defaults would keep it for 60 s
  });

  it('cuts off a client that drips its body', async () => {
    const { text } = await exchange(port, (socket) =>
      drip(socket, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n', ' '),
    );
    expect(text).toMatch(/408|"code":"TIMEOUT"/);
  });

  it('closes an idle kept-alive connection', async () => {
    const { text, ms } = await exchange(port, (socket) => socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    expect(text).toMatch(/^HTTP\/1\.1 200 /);
    expect(ms).toBeLessThan(2000); // Node's default is 5 s
  });

  it('answers a malformed request line with 400 problem+json', async () => {
    const { text } = await exchange(port, (socket) => socket.write('NOT HTTP\r\n\r\n'));
    expect(text).toMatch(/^HTTP\/1\.1 400 /);
    expect(text).toContain('"code":"BAD_REQUEST"');
  });
});
