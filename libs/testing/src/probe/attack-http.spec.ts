import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProbeClients, send } from './attack-http';

describe('probe requests from addresses of their own', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    // Answers with the address the request came from, as the app's client identity sees it.
    server = createServer((req, res) => res.end(req.socket.remoteAddress));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('gives each request another loopback address, each in its own /24', async () => {
    const clients = new ProbeClients();
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) {
      const from = clients.next();
      const answer = await send(port, { method: 'GET', path: '/', from }, 5_000);
      seen.push(answer.body);
    }
    expect(seen).toEqual(['127.0.1.1', '127.0.2.1', '127.0.3.1']);
    expect(new Set(seen.map((ip) => ip.split('.').slice(0, 3).join('.'))).size).toBe(3);
  });

  it('says when the system has no such source address, and then sends from 127.0.0.1', async () => {
    // 192.0.2.0/24 is TEST-NET-1: never an address of this machine.
    const refused = await send(port, { method: 'GET', path: '/', from: '192.0.2.1' }, 5_000);
    expect(refused).toMatchObject({ error: 'reset', unbound: true });
    const clients = new ProbeClients();
    clients.unavailable();
    expect(clients.isolated).toBe(false);
    expect(clients.next()).toBeUndefined();
    expect((await send(port, { method: 'GET', path: '/', from: clients.next() }, 5_000)).body).toBe('127.0.0.1');
  });
});
