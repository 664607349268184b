import { baselineHeadersOf, getRequestContext } from '@rampart/core';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { errorRendererFor } from './error-renderers';
import { toProblem, type Problem, type ProblemDocument } from './problem';

/** The RFC 9457 document for `problem`: the one body shape every Rampart answer has. */
export function problemDocument(problem: Problem, requestId: string, typeBase: string): ProblemDocument {
  return {
    type: typeBase + problem.code.toLowerCase().replaceAll('_', '-'),
    title: problem.title,
    status: problem.status,
    detail: problem.detail,
    code: problem.code,
    requestId,
    timestamp: new Date().toISOString(),
    ...problem.extensions,
  };
}

/** A refusal made before the application: fixed wording, never anything of the request. @publicApi */
export interface Refusal {
  status: number;
  detail: string;
}

function platformProblem({ status, detail }: Refusal): Problem {
  return { ...toProblem(Object.assign(new Error('refused before the application'), { status })), detail };
}

/** Status, headers and body of an answer made outside the application, carrying the baseline headers. */
function rawAnswer(
  refusal: Refusal,
  requestId: string,
  platformInstance: object,
  typeBase: string,
): { headers: Record<string, string>; body: string } {
  const body = JSON.stringify(problemDocument(platformProblem(refusal), requestId, typeBase));
  return {
    body,
    headers: {
      ...baselineHeadersOf(platformInstance),
      'Content-Type': 'application/problem+json; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Request-Id': requestId,
      'Content-Length': String(Buffer.byteLength(body)),
      Connection: 'close',
    },
  };
}

const REASONS: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  414: 'URI Too Long',
  431: 'Request Header Fields Too Large',
};

/** Node's parser errors by the answer they deserve. */
function clientErrorRefusal(error: NodeJS.ErrnoException): Refusal {
  if (error.code === 'HPE_HEADER_OVERFLOW') {
    return { status: 431, detail: 'The request line and headers are larger than this server accepts.' };
  }
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return { status: 408, detail: 'The request did not arrive in time: send it again.' };
  }
  return { status: 400, detail: 'The request is not well-formed HTTP.' };
}

/** Whether a request target's path cannot be percent-decoded (what routers answer on their own). */
function undecodablePath(url: string): boolean {
  const end = url.indexOf('?');
  const escape = url.indexOf('%');
  // Only a percent sign can make a path undecodable: most requests have none and skip the decoding.
  if (escape < 0 || (end >= 0 && escape > end)) return false;
  try {
    decodeURIComponent(end < 0 ? url : url.slice(0, end));
    return false;
  } catch {
    return true;
  }
}

/** Why a request is refused before the application sees it, if it is. */
function refusalOf(req: IncomingMessage, server: Server): Refusal | undefined {
  // RFC 9112 §3.2: a server MUST answer 400 to an HTTP/1.1 request without Host.
  if (req.httpVersion === '1.1' && req.headers.host === undefined) {
    return { status: 400, detail: 'An HTTP/1.1 request needs a Host header.' };
  }
  // Node drops the headers past maxHeadersCount without a word: refuse instead of reading half a request.
  if (req.rawHeaders.length / 2 >= (server.maxHeadersCount || 2000)) {
    return { status: 431, detail: 'The request has more header fields than this server accepts.' };
  }
  if (undecodablePath(req.url ?? '/')) {
    return { status: 400, detail: 'The request path is not valid percent-encoding.' };
  }
  return undefined;
}

function answerOnResponse(
  req: IncomingMessage,
  res: ServerResponse,
  refusal: Refusal,
  platformInstance: object,
  typeBase: string,
): void {
  const { headers, body } = rawAnswer(refusal, getRequestContext(req).id, platformInstance, typeBase);
  const rendered = errorRendererFor(platformInstance, req.url)?.(platformProblem(refusal));
  if (rendered) {
    res.writeHead(rendered.status, {
      ...headers,
      'Content-Type': rendered.contentType,
      'Content-Length': String(Buffer.byteLength(rendered.body)),
    });
    res.end(rendered.body);
    return;
  }
  res.writeHead(refusal.status, headers);
  res.end(body);
}

/**
 * Writes a problem answer straight onto a connection that has no request object yet (Node's
 * `clientError`), with the application's baseline security headers and a fresh request id, then
 * closes it. The one renderer for such answers: `@rampart/validation`'s server limits use it too.
 * @publicApi
 */
export function sendProblemOnSocket(
  socket: Duplex,
  refusal: Refusal,
  platformInstance: object,
  typeBase = 'urn:rampart:problem:',
): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const { status } = refusal;
  const { headers, body } = rawAnswer(refusal, randomUUID(), platformInstance, typeBase);
  const head = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  socket.end(`HTTP/1.1 ${status} ${REASONS[status] ?? 'Bad Request'}\r\n${head}\r\n${body}`);
}

const installed = new WeakSet<Server>();

/**
 * Makes the answers Node and the routers give on their own go through Rampart's problem renderer,
 * with the baseline security headers and a request id: Node's parser errors (`clientError`:
 * malformed request 400, 408, 431), an HTTP/1.1 request without Host, more headers than
 * `maxHeadersCount`, and a path that cannot be percent-decoded (Fastify's own `FST_ERR_BAD_URL`
 * 400 otherwise echoes it). None of them echoes the request. Installed by `ErrorsModule`.
 */
export function answerBeforeTheApplication(server: Server, platformInstance: object, typeBase: string): void {
  if (installed.has(server)) return;
  installed.add(server);
  // Node would answer a missing Host itself, bare; the check above answers it instead.
  (server as Server & { requireHostHeader?: boolean }).requireHostHeader = false;
  const application = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const refusal = refusalOf(req, server);
    if (refusal !== undefined) return answerOnResponse(req, res, refusal, platformInstance, typeBase);
    for (const listener of application) listener.call(server, req, res);
  });
  // One handler per server: @rampart/validation installs its own (it tells a long URL from long
  // headers) through the same renderer, sendProblemOnSocket.
  if (server.listenerCount('clientError') > 0) return;
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (error.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    sendProblemOnSocket(socket, clientErrorRefusal(error), platformInstance, typeBase);
  });
}
