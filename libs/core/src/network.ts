import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** IPv6 ranges whose last 32 bits are an IPv4 address the packet ends up at (RFC 4291, 6052, 6145). */
const TRANSLATED = new Set(['ipv4Mapped', 'rfc6145', 'rfc6052']);

/** RFC 4291 §2.5.5.1 IPv4-compatible `::a.b.c.d` (deprecated; some stacks still route it to IPv4). */
function isIpv4Compatible(address: ipaddr.IPv6): boolean {
  const parts = address.parts;
  return parts.slice(0, 6).every((part) => part === 0) && (parts[6] !== 0 || (parts[7] ?? 0) > 1);
}

function ipv4From(high: number, low: number): ipaddr.IPv4 {
  return new ipaddr.IPv4([high >> 8, high & 255, low >> 8, low & 255]);
}

/** The IPv4 address an IPv6 address delivers to, if it embeds one the network will translate. */
function embedded(address: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  const parts = address.parts;
  const range = address.range();
  if (TRANSLATED.has(range) || isIpv4Compatible(address)) return ipv4From(parts[6] ?? 0, parts[7] ?? 0);
  // RFC 3056 6to4: 2002:AABB:CCDD::/48 tunnels to the IPv4 address AA.BB.CC.DD.
  if (range === '6to4') return ipv4From(parts[1] ?? 0, parts[2] ?? 0);
  return undefined;
}

/** RFC 4291 §2.4: global unicast is 2000::/3; everything else is special or unassigned. */
const GLOBAL_UNICAST = ipaddr.IPv6.parseCIDR('2000::/3');

function nonPublic(address: Address): boolean {
  if (address.kind() === 'ipv4') return address.range() !== 'unicast';
  const v6 = address as ipaddr.IPv6;
  const v4 = embedded(v6);
  if (v4 !== undefined) return v4.range() !== 'unicast';
  // Teredo (2001::/32) and the other special ranges are refused whole: Teredo hides its
  // IPv4 endpoint XOR-ed, and the rest never reach a public server.
  return v6.range() !== 'unicast' || !v6.match(GLOBAL_UNICAST);
}

/**
 * Parses an IP address in any spelling a resolver or URL parser accepts (`127.1`, `0x7f000001`,
 * `2130706433`, `[::ffff:127.0.0.1]`, a zone id), or `undefined` when `ip` is not one.
 */
function parse(ip: string): Address | undefined {
  let text = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  const zone = text.indexOf('%');
  if (zone !== -1) text = text.slice(0, zone);
  return ipaddr.isValid(text) ? ipaddr.parse(text) : undefined;
}

/**
 * The IPv4 address an IPv6 address reaches when it embeds one — IPv4-mapped (`::ffff:7f00:1`),
 * IPv4-compatible (`::7f00:1`), SIIT (`::ffff:0:7f00:1`), NAT64 (`64:ff9b::7f00:1`) or 6to4
 * (`2002:7f00:1::`) — in hex or dotted form.
 */
export function embeddedIpv4(ipv6: string): string | undefined {
  const address = parse(ipv6);
  return address?.kind() === 'ipv6' ? embedded(address as ipaddr.IPv6)?.toString() : undefined;
}

/**
 * Whether `ip` (a literal IPv4 or IPv6 address in any spelling, brackets allowed) is not a public
 * internet address: this host, private and carrier-grade NAT networks, link-local (where cloud
 * metadata services live), documentation, benchmarking, multicast, reserved — including IPv4
 * reached through IPv6 (mapped, compatible, NAT64, 6to4) and all of Teredo. A server must not be
 * steered into fetching them (SSRF). `undefined` when `ip` is not an address at all.
 * @publicApi
 * @example
 * isNonPublicIp('169.254.169.254') // true: cloud metadata
 * isNonPublicIp('[64:ff9b::7f00:1]') // true: 127.0.0.1 through NAT64
 * isNonPublicIp('0x7f000001') // true: 127.0.0.1 spelt as one hex number
 */
export function isNonPublicIp(ip: string): boolean | undefined {
  const address = parse(ip);
  return address === undefined ? undefined : nonPublic(address);
}
