import ipaddr from 'ipaddr.js';
import { BlockList, isIP } from 'node:net';

/** Named address ranges accepted in `trustedProxies` besides literal addresses and CIDRs. */
const NAMED_RANGES: Readonly<Record<string, readonly string[]>> = {
  loopback: ['127.0.0.0/8', '::1/128'],
  private: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
};

/**
 * A proxy walk never looks at more hops than this: a client can send an arbitrarily long
 * X-Forwarded-For, and the work per request must stay bounded.
 */
const MAX_HOPS = 32;

/** `::ffff:` followed by a dotted quad: an IPv4-mapped IPv6 address in its usual spelling. */
const MAPPED_PREFIX = /^::ffff:(?=\d)/i;

/**
 * Returns the canonical form of an IP address, or `undefined` when `raw` is not one: IPv6 in its
 * RFC 5952 spelling (lower case, zeros compressed), IPv4-mapped IPv6 in any spelling
 * (`::ffff:10.0.0.1`, `::ffff:a00:1`) as plain IPv4. One client has one identity however its
 * address is written, so no spelling gets a fresh rate-limit bucket or escapes a ban.
 */
export function normalizeIp(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  let ip = raw.trim();
  if (ip.startsWith('[')) {
    const end = ip.indexOf(']');
    if (end < 0) return undefined;
    ip = ip.slice(1, end);
  } else if (ip.includes('.') && ip.lastIndexOf(':') > ip.lastIndexOf('.')) {
    ip = ip.slice(0, ip.lastIndexOf(':')); // "192.0.2.1:4711" → drop the port
  }
  const zone = ip.indexOf('%');
  if (zone >= 0) ip = ip.slice(0, zone);
  // node:net validates (strict dotted quads: no "0x7f.1" or "127.1" shorthands); ipaddr.js spells.
  const version = isIP(ip);
  if (version === 4) return ip;
  // Fast path for how a dual-stack listener (Nest's default) sees every IPv4 client: parsing the
  // IPv6 spelling costs about 2 µs, and a request resolves its peer more than once.
  if (version === 6 && MAPPED_PREFIX.test(ip) && isIP(ip.slice(7)) === 4) return ip.slice(7);
  if (version !== 6) return undefined;
  const address = ipaddr.IPv6.parse(ip);
  return address.isIPv4MappedAddress() ? address.toIPv4Address().toString() : address.toRFC5952String();
}

/** How many leading bits of an address identify one client. @publicApi */
export interface ClientPrefixes {
  /** @default 32 (one address) */
  ipv4: number;
  /**
   * @default 64: one IPv6 subscriber gets at least a /64 (RFC 6177), so a /128 per client would let
   * one host take 2^64 identities, each with fresh limits and no ban.
   */
  ipv6: number;
}

export const DEFAULT_CLIENT_PREFIXES: Readonly<ClientPrefixes> = Object.freeze({ ipv4: 32, ipv6: 64 });

/**
 * The key a client is limited and banned by: its canonical address when the family's prefix is
 * the full length, else its network (`2001:db8:1:2::/64`). Accepts any spelling of an address, or
 * a key itself (a CIDR of exactly the configured length), so an operator can unban with what a
 * log shows; `undefined` for anything else.
 * @publicApi
 * @example
 * clientKey('2001:0db8:0001:0002:0000:0000:0000:0001') // '2001:db8:1:2::/64'
 * clientKey('::ffff:7f00:1') // '127.0.0.1'
 */
export function clientKey(
  input: string,
  prefixes: Readonly<ClientPrefixes> = DEFAULT_CLIENT_PREFIXES,
): string | undefined {
  const slash = input.indexOf('/');
  const ip = normalizeIp(slash < 0 ? input : input.slice(0, slash));
  if (ip === undefined) return undefined;
  const v6 = isIP(ip) === 6;
  const prefix = v6 ? prefixes.ipv6 : prefixes.ipv4;
  if (slash >= 0 && input.slice(slash + 1).trim() !== String(prefix)) return undefined;
  if (prefix === (v6 ? 128 : 32)) return ip;
  const network = v6
    ? ipaddr.IPv6.networkAddressFromCIDR(`${ip}/${prefix}`).toRFC5952String()
    : ipaddr.IPv4.networkAddressFromCIDR(`${ip}/${prefix}`).toString();
  return `${network}/${prefix}`;
}

/** The set of peers whose forwarding headers are believed. Empty by default: trust nobody. */
export class TrustedProxies {
  private readonly list = new BlockList();
  private readonly ranges: [ipaddr.IPv4 | ipaddr.IPv6, number][] = [];
  readonly isEmpty: boolean;

  /** @throws Error naming the entry when one is neither an address, a CIDR nor a named range. */
  constructor(entries: readonly string[] = []) {
    this.isEmpty = entries.length === 0;
    for (const entry of entries) {
      for (const cidr of NAMED_RANGES[entry] ?? [entry]) this.add(cidr);
    }
  }

  has(ip: string): boolean {
    return !this.isEmpty && this.list.check(ip, isIP(ip) === 6 ? 'ipv6' : 'ipv4');
  }

  /**
   * Whether a client key (an address or a network, as {@link clientKey} makes) contains or lies in
   * a listed range: banning it would refuse the proxies themselves, and so every client behind them.
   */
  overlaps(key: string): boolean {
    const [address = '', bits] = key.split('/');
    const ip = normalizeIp(address);
    if (ip === undefined) return false;
    const parsed = ipaddr.parse(ip);
    const length = bits === undefined ? (parsed.kind() === 'ipv6' ? 128 : 32) : Number(bits);
    return this.ranges.some(
      ([range, prefix]) => range.kind() === parsed.kind() && parsed.match(range, Math.min(prefix, length)),
    );
  }

  private add(cidr: string): void {
    const [address, prefixText, ...rest] = cidr.split('/');
    const ip = normalizeIp(address);
    const family = ip && isIP(ip) === 6 ? 'ipv6' : 'ipv4';
    const maxPrefix = family === 'ipv6' ? 128 : 32;
    const prefix = prefixText === undefined ? maxPrefix : Number(prefixText);
    if (!ip || rest.length > 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > maxPrefix) {
      throw new Error(
        `Invalid trusted proxy "${cidr}": use an IP address, a CIDR such as 10.0.0.0/8, or one of ${Object.keys(NAMED_RANGES).join(', ')}.`,
      );
    }
    this.list.addSubnet(ip, prefix, family);
    this.ranges.push([ipaddr.parse(ip), prefix]);
  }
}

/** Which forwarding header the trusted proxies set. */
export type ProxyHeader = 'x-forwarded-for' | 'forwarded';

/** The `for=` addresses of an RFC 7239 `Forwarded` header, nearest proxy last. */
function forwardedFor(header: string): string[] {
  const hops: string[] = [];
  for (const element of header.split(',')) {
    const pair = element.split(';').find((p) => p.trim().toLowerCase().startsWith('for='));
    // An element without for= (or an obfuscated "_hidden" one) breaks the chain: keep it as an invalid hop.
    hops.push(pair ? pair.trim().slice(4).replace(/^"|"$/g, '') : '');
  }
  return hops;
}

/**
 * The client address for a request. Forwarding headers are believed only hop by hop: walking from
 * the socket peer towards the client, each address is accepted only while the previous one is a
 * trusted proxy, so a client cannot choose its own identity by sending X-Forwarded-For itself.
 *
 * `undefined` when a trusted proxy forwarded a hop that is not an address (`not-an-ip`, an
 * obfuscated `Forwarded: for=_hidden`): the client is then unknown, and falling back to the proxy
 * would make every client behind it one identity — one rate limit, one ban for all of them.
 */
export function resolveClientIp(
  peer: string | undefined,
  header: string | string[] | undefined,
  trusted: TrustedProxies,
  proxyHeader: ProxyHeader = 'x-forwarded-for',
): string | undefined {
  let client = normalizeIp(peer) ?? 'unknown';
  if (header === undefined || !trusted.has(client)) return client;
  const value = Array.isArray(header) ? header.join(',') : header;
  if (value.trim() === '') return client;
  const hops = proxyHeader === 'forwarded' ? forwardedFor(value) : value.split(',');
  for (let i = hops.length - 1, seen = 0; i >= 0 && seen < MAX_HOPS; i--, seen++) {
    const hop = normalizeIp(hops[i]);
    if (!hop) return undefined;
    client = hop;
    if (!trusted.has(hop)) return hop;
  }
  return client;
}
