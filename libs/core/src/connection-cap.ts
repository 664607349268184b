import type { INestApplication } from '@nestjs/common';
import type { Server } from 'node:net';
import { clientKey, normalizeIp } from './client-identity';
import type { ResolvedCoreOptions } from './core.options';

/**
 * Caps the open sockets of one client (its `clientKey`: the address, an IPv6 host by its /64) on
 * the HTTP server's `connection` event, before a byte is parsed: a client holding hundreds of idle
 * or slow (Slowloris) connections would exhaust the server's file descriptors, and no per-request
 * limit sees a connection that never completes a request. Sockets beyond the cap are destroyed.
 * Peers in `trustedProxies` are not capped: a proxy multiplexes every client over its own sockets.
 * Memory is one entry per client with an open connection, deleted when its last one closes.
 * Node has no per-address limit (`server.maxConnections` is global), hence this hand-written count.
 */
export function capConnectionsPerClient(app: INestApplication, options: ResolvedCoreOptions): void {
  const cap = options.connections.perClient;
  if (cap === undefined) return;
  const open = new Map<string, number>();
  const server = app.getHttpServer() as Server;
  server.on('connection', (socket) => {
    const ip = normalizeIp(socket.remoteAddress);
    // No address: the peer is already gone, nothing to serve.
    if (ip === undefined) {
      socket.destroy();
      return;
    }
    if (options.trustedProxies.has(ip)) return;
    const key = clientKey(ip, options.clientPrefixes) ?? ip;
    const count = open.get(key) ?? 0;
    if (count >= cap) {
      socket.destroy();
      return;
    }
    open.set(key, count + 1);
    socket.once('close', () => {
      const left = (open.get(key) ?? 1) - 1;
      if (left > 0) open.set(key, left);
      else open.delete(key);
    });
  });
}
