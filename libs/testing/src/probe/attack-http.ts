import type { INestApplication } from '@nestjs/common';
import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One answer as the probe reads it; `error` when the connection failed or timed out. */
export interface ProbeAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  error?: 'timeout' | 'reset';
}

export interface ProbeRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** The loopback address the request is sent from (see {@link ProbeClients}). */
  from?: string;
}

/**
 * A loopback source address per request, so the app sees every probe request as another client:
 * a ban or a behaviour block that hostile requests earn (threat `block`/`ban` mode) never reaches
 * the checks that follow, nor the test's own client at 127.0.0.1. Linux and Windows route all of
 * 127.0.0.0/8 to loopback; where only 127.0.0.1 exists (macOS), the first refused bind turns this
 * off and the probe reports refusals by threat detection as inconclusive instead.
 */
export class ProbeClients {
  private sent = 0;
  private available = true;

  /** 127.0.1.1, 127.0.2.1, …: each in its own /24, so a client prefix of up to /24 still tells them apart. */
  next(): string | undefined {
    if (!this.available) return undefined;
    const n = (this.sent++ % 0xffff) + 1;
    return `127.${(n >> 8) & 0xff}.${n & 0xff}.1`;
  }

  /** Whether each request gets its own address. */
  get isolated(): boolean {
    return this.available;
  }

  /** Called when the system refused a source address: every later request comes from 127.0.0.1. */
  unavailable(): void {
    this.available = false;
  }
}

/** Bodies are read up to this many bytes: enough for any problem, bounded for a hostile answer. */
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * The app's server, listening on a loopback port for the probe (as supertest does when the app
 * was only initialised), and a way to stop it again if the probe started it.
 */
export async function listen(app: INestApplication): Promise<{ port: number; stop(): Promise<void> }> {
  const server = app.getHttpServer() as Server;
  if (server.listening) return { port: (server.address() as AddressInfo).port, stop: async () => undefined };
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Sends one request on its own connection (no keep-alive: each attack starts clean) and reads the
 * answer. A hang is an answer too: `timeout`. A server that resets the connection while a huge
 * body is still being sent is `reset` (what a body limit may do before reading it all).
 */
export function send(port: number, req: ProbeRequest, timeoutMs: number): Promise<ProbeAnswer & { unbound?: true }> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (answer: ProbeAnswer & { unbound?: true }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outgoing.destroy();
      resolve(answer);
    };
    const outgoing = httpRequest(
      {
        host: '127.0.0.1',
        port,
        ...(req.from ? { localAddress: req.from } : {}),
        method: req.method,
        path: req.path,
        agent: false,
        headers: {
          connection: 'close',
          ...(req.body !== undefined ? { 'content-length': Buffer.byteLength(req.body) } : {}),
          ...req.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          if (size < MAX_ANSWER_BYTES) chunks.push(chunk);
          size += chunk.length;
        });
        const finish = (): void =>
          done({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8').slice(0, MAX_ANSWER_BYTES),
          });
        res.on('end', finish);
        res.on('error', finish);
      },
    );
    const timer = setTimeout(() => {
      done({ status: 0, headers: {}, body: '', error: 'timeout' });
    }, timeoutMs);
    outgoing.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRNOTAVAIL') done({ status: 0, headers: {}, body: '', error: 'reset', unbound: true });
      else done({ status: 0, headers: {}, body: '', error: 'reset' });
    });
    outgoing.end(req.body);
  });
}
