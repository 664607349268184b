import { sendProblemOnSocket } from '@rampart/errors';
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ResolvedValidationOptions } from '../validation.options';

/** Node's own server settings: what a client can hold open or send before any JS sees it. */
export function applyServerLimits(server: Server, options: ResolvedValidationOptions, platformInstance: object): void {
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
    answerClientError(error, socket, options, platformInstance);
  });
}

/**
 * Errors Node's HTTP parser meets before there is a request object (a head too large, a
 * malformed request line, a timeout). Both platforms answer them here, through the errors lib's
 * renderer (problem+json, security headers, a request id), instead of Node's bare status line or
 * Fastify's own JSON.
 */
function answerClientError(
  error: Error & { code?: string; rawPacket?: Buffer },
  socket: Duplex,
  options: ResolvedValidationOptions,
  platformInstance: object,
): void {
  if (error.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  let refusal = { status: 400, detail: 'The request is not well-formed HTTP.' };
  if (error.code === 'HPE_HEADER_OVERFLOW') {
    // A request line that alone fills the head is a URL problem (414), otherwise the headers are (431).
    const lineEnd = error.rawPacket?.indexOf('\r\n') ?? -1;
    refusal =
      lineEnd < 0 || lineEnd > options.maxUrlLength
        ? { status: 414, detail: 'The request URI is longer than this server accepts.' }
        : { status: 431, detail: 'The request headers are larger than this server accepts.' };
  } else if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    refusal = { status: 408, detail: 'The request was not sent in time.' };
  }
  sendProblemOnSocket(socket, refusal, platformInstance);
}
