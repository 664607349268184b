import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import {
  clientKey,
  DEFAULT_CLIENT_PREFIXES,
  normalizeIp,
  resolveClientIp,
  TrustedProxies,
  type ClientPrefixes,
  type ProxyHeader,
} from './client-identity';
import { rawRequest } from './raw-middleware';

/** What Rampart knows about a request before any handler runs. */
export interface RequestContext {
  /** Accepted from `X-Request-Id` when it is a short safe token, otherwise generated. */
  readonly id: string;
  /**
   * The client address (canonical spelling), from the socket or from trusted proxies' forwarding
   * headers; `unknown` when there is none or a trusted proxy forwarded a malformed one.
   */
  readonly clientIp: string;
  /** What limits and bans key on: the client's network by `clientPrefixes` (`2001:db8:1:2::/64`), else `clientIp`. */
  readonly clientKey: string;
  /** A trusted proxy forwarded a hop that is not an address: the request is refused with a 400. */
  readonly forwardedInvalid: boolean;
  /** `https` when the connection, or a trusted proxy in front of it, used TLS. */
  readonly protocol: 'http' | 'https';
  /** `Date.now()` when the request arrived. */
  readonly startedAt: number;
}

export interface RequestContextOptions {
  trustedProxies: TrustedProxies;
  proxyHeader: ProxyHeader;
  clientPrefixes?: Readonly<ClientPrefixes>;
}

/** A caller identified by authentication, as other phases key on it: a stable id, never a credential. */
export interface Identified {
  readonly id: string | number;
}

/**
 * The one typed state Rampart keeps per request, shared by the libs instead of properties each
 * adds to the request: made once by the request-context middleware, then filled by the phases.
 * @publicApi
 */
export interface RequestState {
  readonly context: RequestContext;
  /** `METHOD /route/:template` once the request is routed (set by the pipeline guard). */
  route: string | undefined;
  /** The user a valid access token speaks for (set by the `authenticate` phase). */
  user: Identified | undefined;
  /** The API key that identified the caller (set by the `authenticate` phase). */
  apiKey: Identified | undefined;
  /** Bytes of the body the platform's parser read. */
  bodyBytes: number | undefined;
  /** The route's deadline (set by validation's request limits), read through its `getRequestSignal(req)`. */
  deadline: RequestDeadline | undefined;
}

/**
 * A request's deadline: its AbortController is made only when a handler asks for the signal, so
 * requests that never ask pay nothing for it.
 */
export interface RequestDeadline {
  readonly res: ServerResponse;
  controller: AbortController | undefined;
  /** Why the deadline fired, once it did: a controller made later starts aborted. */
  expired: Error | undefined;
}

// One property on Node's request, holding an object of fixed shape: adding several properties to
// requests after construction changes their hidden class and slows every later access.
const STATE = Symbol('rampart.requestState');
type WithState = IncomingMessage & { [STATE]?: RequestState };

function newState(context: RequestContext): RequestState {
  return { context, route: undefined, user: undefined, apiKey: undefined, bodyBytes: undefined, deadline: undefined };
}

/**
 * An incoming id is echoed in responses and written to logs, so only short tokens of a safe
 * alphabet are kept: anything else could forge log lines or smuggle markup.
 */
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

export const REQUEST_ID_HEADER = 'x-request-id';

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * What a connection's peer resolves to, for one set of options: the same for every request on a
 * keep-alive connection, so it is worked out once per socket instead of three times per request.
 */
interface Peer {
  readonly options: RequestContextOptions;
  /** The canonical peer address, `undefined` when the socket has none. */
  readonly ip: string | undefined;
  /** The peer's client key (its network by `clientPrefixes`). */
  readonly key: string;
  /** Whether the peer is a trusted proxy, whose forwarding headers are then read. */
  readonly trusted: boolean;
}
const peers = new WeakMap<object, Peer>();

function peerOf(req: IncomingMessage, options: RequestContextOptions): Peer {
  const known = peers.get(req.socket);
  if (known?.options === options) return known;
  const ip = normalizeIp(req.socket.remoteAddress);
  const resolved = ip ?? 'unknown';
  const peer: Peer = {
    options,
    ip,
    key: clientKey(resolved, options.clientPrefixes ?? DEFAULT_CLIENT_PREFIXES) ?? resolved,
    trusted: ip !== undefined && options.trustedProxies.has(ip),
  };
  peers.set(req.socket, peer);
  return peer;
}

export function createRequestContext(req: IncomingMessage, options: RequestContextOptions): RequestContext {
  const incomingId = firstHeader(req.headers[REQUEST_ID_HEADER]);
  const peer = peerOf(req, options);
  let clientIp = peer.ip ?? 'unknown';
  let key = peer.key;
  let forwardedInvalid = false;
  let protocol: 'http' | 'https' = (req.socket as Partial<TLSSocket>).encrypted ? 'https' : 'http';
  if (peer.trusted) {
    // Only a trusted proxy's forwarding headers are read: from anyone else they are forgeries.
    const header = options.proxyHeader === 'forwarded' ? req.headers.forwarded : req.headers['x-forwarded-for'];
    const resolved = resolveClientIp(peer.ip, header, options.trustedProxies, options.proxyHeader);
    forwardedInvalid = resolved === undefined;
    clientIp = resolved ?? 'unknown';
    key = clientKey(clientIp, options.clientPrefixes ?? DEFAULT_CLIENT_PREFIXES) ?? clientIp;
    const forwardedProto = firstHeader(req.headers['x-forwarded-proto'])?.split(',')[0]?.trim().toLowerCase();
    if (forwardedProto === 'https' || forwardedProto === 'http') protocol = forwardedProto;
  }
  return {
    id: incomingId !== undefined && SAFE_REQUEST_ID.test(incomingId) ? incomingId : randomUUID(),
    clientIp,
    clientKey: key,
    forwardedInvalid,
    protocol,
    startedAt: Date.now(),
  };
}

/** Attaches a context to the request and echoes its id on the response. */
export function attachRequestContext(
  req: IncomingMessage,
  res: ServerResponse,
  options: RequestContextOptions,
): RequestContext {
  const context = createRequestContext(req, options);
  (req as WithState)[STATE] = newState(context);
  // The name in lower case, as Node stores it: no new string per response.
  res.setHeader(REQUEST_ID_HEADER, context.id);
  return context;
}

const UNTRUSTING: RequestContextOptions = { trustedProxies: new TrustedProxies(), proxyHeader: 'x-forwarded-for' };

/**
 * The context of a request (Express, Fastify or Node's own). When the request-context middleware
 * did not run, one is made that trusts no proxy, so a missing setup never widens trust.
 */
export function getRequestContext(req: object): RequestContext {
  return getRequestState(req).context;
}

/**
 * The {@link RequestState} of a request (Express, Fastify or Node's own), made with an untrusting
 * context when the request-context middleware did not run.
 * @publicApi
 * @example
 * const { context, user } = getRequestState(req);
 */
export function getRequestState(req: object): RequestState {
  const raw = rawRequest(req) as WithState;
  return (raw[STATE] ??= newState(createRequestContext(raw, UNTRUSTING)));
}

/**
 * `METHOD /route/:template` of a request on either platform, for logs and events. Templates, not
 * concrete paths: ids in paths would make every request look distinct.
 */
export function routeOf(req: object): string {
  const r = req as { method?: string; route?: { path?: unknown }; routeOptions?: { url?: unknown } };
  const template = r.routeOptions?.url ?? r.route?.path;
  return `${r.method ?? rawRequest(req).method ?? 'GET'} ${typeof template === 'string' ? template : '(no route)'}`;
}
