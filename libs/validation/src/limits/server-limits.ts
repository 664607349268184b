import { problemTitle, type SecurityErrorCode } from '@rampart/errors';
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ResolvedValidationOptions } from '../validation.options';

/** Node's own server settings: what a client can hold open or send before any JS sees it. */
export function applyServerLimits(server: Server, options: ResolvedValidationOptions): void {
  // Slow-loris: a client dripping a header every few seconds holds a socket for as long as
  // Node lets it. These bound the head, the whole request, and idle kept-alive sockets.
  server.headersTimeout = options.headersTimeoutMs;
  server.requestTimeout = options.requestTimeoutMs;
  server.keepAliveTimeout = options.keepAliveTimeoutMs;
  // Node checks the two timeouts above on this interval (30 s by default), read when it starts
  // listening: without it a slow client would keep its socket up to 30 s past the timeout.
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = Math.min(
    1000,
    options.headersTimeoutMs,
  );
  // Read per connection by Node's HTTP parser, so setting it after the server exists works.
  (server as Server & { maxHeaderSize: number }).maxHeaderSize = options.maxHeaderBytes;
  server.removeAllListeners('clientError');
  server.on('clientError', (error: Error & { code?: string; rawPacket?: Buffer }, socket: Duplex) => {
    answerClientError(error, socket, options);
  });
}

/**
 * Errors Node's HTTP parser meets before there is a request object (a head too large, a
 * malformed request line, a timeout). Both platforms answer them here, as problem+json, instead
 * of Node's bare status line or Fastify's own JSON.
 */
function answerClientError(
  error: Error & { code?: string; rawPacket?: Buffer },
  socket: Duplex,
  options: ResolvedValidationOptions,
): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  let status = 400;
  let code: SecurityErrorCode = 'BAD_REQUEST';
  let detail = 'The request could not be parsed.';
  if (error.code === 'HPE_HEADER_OVERFLOW') {
    // A request line that alone fills the head is a URL problem (414), otherwise the headers are (431).
    const lineEnd = error.rawPacket?.indexOf('\r\n') ?? -1;
    if (lineEnd < 0 || lineEnd > options.maxUrlLength) {
      [status, code, detail] = [414, 'URI_TOO_LONG', 'The request URI is longer than this server accepts.'];
    } else {
      [status, code, detail] = [431, 'HEADERS_TOO_LARGE', 'The request headers are larger than this server accepts.'];
    }
  } else if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    [status, code, detail] = [408, 'TIMEOUT', 'The request was not sent in time.'];
  }
  const body = JSON.stringify({
    type: `urn:rampart:problem:${code.toLowerCase().replaceAll('_', '-')}`,
    title: problemTitle(code),
    status,
    detail,
    code,
    requestId: randomUUID(),
    timestamp: new Date().toISOString(),
  });
  socket.end(
    `HTTP/1.1 ${status} ${problemTitle(code)}\r\nContent-Type: application/problem+json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
  );
}
