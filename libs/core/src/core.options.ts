import { DEFAULT_CLIENT_PREFIXES, TrustedProxies, type ClientPrefixes, type ProxyHeader } from './client-identity';
import { InvalidOptionsError } from './invalid-options.error';
import { SECURITY_EVENT_TYPES, type EventLogging } from './security-events';
import type { MemoryStoreOptions } from './store/memory.store';
import type { RedisStoreOptions } from './store/redis.store';

/** Options of {@link RampartCoreModule}. @publicApi */
export interface RampartCoreOptions {
  /**
   * Peers whose forwarding headers (`X-Forwarded-For`/`Forwarded`, `X-Forwarded-Proto`) are
   * believed: IP addresses, CIDRs, or `loopback`, `private`, `linklocal`.
   * @default [] (trust nobody: the client is the socket peer)
   */
  trustedProxies?: string[];
  /** @default 'x-forwarded-for' */
  proxyHeader?: ProxyHeader;
  /**
   * Leading bits of an address that rate limits and bans key on (`RequestContext.clientKey`): one
   * IPv6 host holds a whole /64, so keying on its full address would give it 2^64 identities.
   * @default { ipv4: 32, ipv6: 64 }
   */
  clientPrefixes?: Partial<ClientPrefixes>;
  /**
   * Where shared state lives. Memory is per process: with several instances, use Redis.
   * @default { type: 'memory' }
   */
  store?: ({ type: 'memory' } & MemoryStoreOptions) | ({ type: 'redis' } & RedisStoreOptions);
  /**
   * Which security events are logged through the Nest `Logger`, as structured objects: `true` is
   * every type but `auth.success` (one line per authenticated request is noise and personal data at
   * volume; list it to have it), `false` none, a list exactly those types.
   * @default true
   */
  logEvents?: EventLogging;
  /**
   * Open sockets one client (its `clientKey`: an address, an IPv6 host by its /64) may hold; the
   * socket beyond it is destroyed on accept. Peers in `trustedProxies` are exempt. Off by default:
   * the count keys on the socket peer, and a reverse proxy (`limit_conn`, `maxconn`) or a NAT makes
   * one peer of many users; set it when the server faces clients directly (64 leaves a browser's
   * 6 per origin room for a few users behind one address).
   * @default {} (no cap)
   */
  connections?: { perClient?: number };
}

export interface ResolvedCoreOptions {
  readonly trustedProxies: TrustedProxies;
  readonly proxyHeader: ProxyHeader;
  readonly clientPrefixes: Readonly<ClientPrefixes>;
  readonly store: NonNullable<RampartCoreOptions['store']>;
  readonly logEvents: EventLogging;
  readonly connections: { readonly perClient?: number };
}

const PROXY_HEADERS: readonly string[] = ['x-forwarded-for', 'forwarded'];
const STORE_TYPES: readonly string[] = ['memory', 'redis'];

export function resolveCoreOptions(raw: RampartCoreOptions = {}): ResolvedCoreOptions {
  const proxyHeader = raw.proxyHeader ?? 'x-forwarded-for';
  // Options may come from JavaScript or a config file: check what the types promise.
  if (!PROXY_HEADERS.includes(proxyHeader)) {
    throw new InvalidOptionsError('CORE_INVALID_OPTIONS', `proxyHeader must be 'x-forwarded-for' or 'forwarded'.`);
  }
  let trustedProxies: TrustedProxies;
  try {
    trustedProxies = new TrustedProxies(raw.trustedProxies ?? []);
  } catch (error) {
    throw new InvalidOptionsError('CORE_INVALID_OPTIONS', (error as Error).message);
  }
  const clientPrefixes = Object.freeze({ ...DEFAULT_CLIENT_PREFIXES, ...raw.clientPrefixes });
  for (const [family, max] of [
    ['ipv4', 32],
    ['ipv6', 128],
  ] as const) {
    const bits = clientPrefixes[family];
    if (!Number.isInteger(bits) || bits < 1 || bits > max) {
      throw new InvalidOptionsError(
        'CORE_INVALID_OPTIONS',
        `clientPrefixes.${family} must be a whole number from 1 to ${max}.`,
      );
    }
  }
  const store = raw.store ?? { type: 'memory' };
  if (!STORE_TYPES.includes(store.type)) {
    throw new InvalidOptionsError('CORE_INVALID_OPTIONS', `store.type must be 'memory' or 'redis'.`);
  }
  const logEvents = raw.logEvents ?? true;
  if (typeof logEvents !== 'boolean') {
    const unknown: unknown[] = Array.isArray(logEvents)
      ? logEvents.filter((type: string) => !(SECURITY_EVENT_TYPES as readonly string[]).includes(type))
      : [logEvents];
    if (unknown.length > 0) {
      throw new InvalidOptionsError(
        'CORE_INVALID_OPTIONS',
        `logEvents must be true, false or a list of event types; unknown: ${unknown.map(String).join(', ')}.`,
      );
    }
  }
  const perClient = raw.connections?.perClient;
  if (perClient !== undefined && (!Number.isInteger(perClient) || perClient < 1)) {
    throw new InvalidOptionsError('CORE_INVALID_OPTIONS', 'connections.perClient must be a whole number from 1.');
  }
  return Object.freeze({
    trustedProxies,
    connections: Object.freeze(perClient === undefined ? {} : { perClient }),
    proxyHeader,
    clientPrefixes,
    store,
    logEvents: typeof logEvents === 'boolean' ? logEvents : Object.freeze([...logEvents]),
  });
}
