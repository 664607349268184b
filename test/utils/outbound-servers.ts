import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A local server for outbound tests, counting the TCP connections it accepted. */
export interface LocalServer {
  readonly port: number;
  readonly connections: () => number;
  close(): Promise<void>;
}

async function listen(server: Server, host: string, port: number): Promise<LocalServer> {
  let connections = 0;
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** An HTTP server on `host` (loopback), port 0 unless given. */
export function startHttpServer(handler: RequestListener, host = '127.0.0.1', port = 0): Promise<LocalServer> {
  return listen(createHttpServer(handler), host, port);
}

/** A self-signed certificate for `name` (and 127.0.0.1), made with the openssl CLI, and its SPKI pin. */
export interface TestCertificate {
  key: string;
  cert: string;
  /** base64 SHA-256 of the SubjectPublicKeyInfo, computed by openssl (independently of the client). */
  pin: string;
}

export function selfSignedCertificate(name: string, keyType: 'ec' | 'rsa' = 'ec'): TestCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-outbound-cert-'));
  try {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        ...(keyType === 'ec' ? ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'] : ['-newkey', 'rsa:2048']),
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '1',
        '-subj',
        `/CN=${name}`,
        '-addext',
        `subjectAltName=DNS:${name},IP:127.0.0.1`,
      ],
      { stdio: 'ignore' },
    );
    const spki = execFileSync('openssl', ['x509', '-in', cert, '-pubkey', '-noout']);
    const der = execFileSync('openssl', ['pkey', '-pubin', '-outform', 'der'], { input: spki });
    const digest = execFileSync('openssl', ['dgst', '-sha256', '-binary'], { input: der });
    return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8'), pin: digest.toString('base64') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** An HTTPS server on 127.0.0.1 with the given certificate. */
export function startHttpsServer(certificate: TestCertificate, handler: RequestListener): Promise<LocalServer> {
  return listen(createHttpsServer({ key: certificate.key, cert: certificate.cert }, handler), '127.0.0.1', 0);
}
