import { Controller, Get, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Public } from '@rampart/auth';
import { RampartModule, useRampart, type RampartModuleOptions } from '@rampart/nest';
import { connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { PLATFORMS } from './utils/test-app';

// Issue #19: `core.connections.perClient` over real sockets. Linux routes all of 127.0.0.0/8 to
// loopback, so 127.0.0.2 is a second client address on the same machine.
const CAP = 3;

@Controller()
@Public()
class PingController {
  @Get('ping')
  ping(): string {
    return 'pong';
  }
}

let app: INestApplication | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await app?.close();
  app = undefined;
});

async function listen(platform: (typeof PLATFORMS)[number], core: RampartModuleOptions['core']): Promise<number> {
  const module = { module: class CapApp {}, imports: [RampartModule.forRoot({ core })], controllers: [PingController] };
  const settings = { logger: false, abortOnError: false } as const;
  app =
    platform === 'fastify'
      ? await NestFactory.create(module, new FastifyAdapter(), settings)
      : await NestFactory.create(module, settings);
  useRampart(app);
  await app.listen(0, '127.0.0.1');
  return ((app.getHttpServer() as Server).address() as AddressInfo).port;
}

/**
 * Opens a keep-alive connection from `from` and sends one request: 'served' when the answer came
 * (the server counted the socket and keeps it open), 'closed' when the server dropped it unanswered.
 */
function attempt(port: number, from: string): Promise<'served' | 'closed'> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress: from });
    sockets.push(socket);
    let received = '';
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      if (received.includes('pong')) resolve('served');
    });
    socket.on('close', () => resolve(received.includes('pong') ? 'served' : 'closed'));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE') reject(error);
    });
    socket.on('connect', () => socket.write('GET /ping HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n'));
  });
}

describe.each(PLATFORMS)('per-client connection cap (%s)', (platform) => {
  it('closes the connection beyond the cap, serves another address, and frees a slot on close', async () => {
    const port = await listen(platform, { connections: { perClient: CAP } });
    for (let i = 0; i < CAP; i++) expect(await attempt(port, '127.0.0.1')).toBe('served');
    expect(await attempt(port, '127.0.0.1')).toBe('closed');
    expect(await attempt(port, '127.0.0.2')).toBe('served');

    // Closing one of the first client's connections frees its slot once the server sees the close;
    // retried because that close reaches the server's event loop on its own schedule.
    const first = sockets[0]!;
    await new Promise<void>((resolve) => first.end(resolve));
    let outcome: 'served' | 'closed' = 'closed';
    for (let tries = 0; tries < 50 && outcome === 'closed'; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      outcome = await attempt(port, '127.0.0.1');
    }
    expect(outcome).toBe('served');
    // And the slot is taken again: the cap still holds.
    expect(await attempt(port, '127.0.0.1')).toBe('closed');
  });

  it('does not cap a trusted proxy, whose sockets carry many clients', async () => {
    const port = await listen(platform, { trustedProxies: ['127.0.0.2'], connections: { perClient: 1 } });
    for (let i = 0; i < 4; i++) expect(await attempt(port, '127.0.0.2')).toBe('served');
    expect(await attempt(port, '127.0.0.1')).toBe('served');
    expect(await attempt(port, '127.0.0.1')).toBe('closed');
  });

  it('caps nothing by default', async () => {
    const port = await listen(platform, {});
    for (let i = 0; i < 10; i++) expect(await attempt(port, '127.0.0.1')).toBe('served');
  });
});
