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

/**
 * Returns the canonical form of an IP address, or `undefined` when `raw` is not one.
 * IPv4-mapped IPv6 (`::ffff:10.0.0.1`) becomes plain IPv4, so one client has one identity
 * whether it arrives over an IPv4 or a dual-stack socket.
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
  const version = isIP(ip);
  if (version === 4) return ip;
  if (version !== 6) return undefined;
  const lower = ip.toLowerCase();
  const mapped = lower.startsWith('::ffff:') ? lower.slice(7) : undefined;
  return mapped && isIP(mapped) === 4 ? mapped : lower;
}

/** The set of peers whose forwarding headers are believed. Empty by default: trust nobody. */
export class TrustedProxies {
  private readonly list = new BlockList();
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
 */
export function resolveClientIp(
  peer: string | undefined,
  header: string | string[] | undefined,
  trusted: TrustedProxies,
  proxyHeader: ProxyHeader = 'x-forwarded-for',
): string {
  let client = normalizeIp(peer) ?? 'unknown';
  if (header === undefined || !trusted.has(client)) return client;
  const value = Array.isArray(header) ? header.join(',') : header;
  const hops = proxyHeader === 'forwarded' ? forwardedFor(value) : value.split(',');
  for (let i = hops.length - 1, seen = 0; i >= 0 && seen < MAX_HOPS; i--, seen++) {
    const hop = normalizeIp(hops[i]);
    if (!hop) return client; // garbage in the chain: stop at the last address we can vouch for
    client = hop;
    if (!trusted.has(hop)) return hop;
  }
  return client;
}
