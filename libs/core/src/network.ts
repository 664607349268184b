import { BlockList, isIP } from 'node:net';

/**
 * Addresses that are not on the public internet: this host, private and carrier-grade NAT
 * networks, link-local (where cloud metadata services live), benchmarking, multicast, reserved.
 * A server must not be steered into fetching them (SSRF).
 */
const NON_PUBLIC = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  NON_PUBLIC.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  NON_PUBLIC.addSubnet(network, prefix, 'ipv6');
}

/**
 * The IPv4 address an IPv6 address reaches when it embeds one — IPv4-mapped (`::ffff:7f00:1`),
 * IPv4-compatible (`::7f00:1`) or NAT64 (`64:ff9b::7f00:1`) — in hex or dotted form.
 */
export function embeddedIpv4(ipv6: string): string | undefined {
  const match = /^(?:::ffff:|::|64:ff9b::|::ffff:0:)(?:([0-9a-f]{1,4}):([0-9a-f]{1,4})|(\d+\.\d+\.\d+\.\d+))$/.exec(
    ipv6.toLowerCase(),
  );
  if (!match) return undefined;
  if (match[3] !== undefined) return match[3];
  const high = parseInt(match[1] ?? '0', 16);
  const low = parseInt(match[2] ?? '0', 16);
  return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
}

/**
 * Whether `ip` (a literal IPv4 or IPv6 address, brackets allowed) is not a public internet
 * address, including IPv4 reached through IPv6. `undefined` when `ip` is not an address at all.
 * @publicApi
 * @example
 * isNonPublicIp('169.254.169.254') // true: cloud metadata
 * isNonPublicIp('[64:ff9b::7f00:1]') // true: 127.0.0.1 through NAT64
 */
export function isNonPublicIp(ip: string): boolean | undefined {
  const address = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  const version = isIP(address);
  if (version === 4) return NON_PUBLIC.check(address, 'ipv4');
  if (version !== 6) return undefined;
  const v4 = embeddedIpv4(address);
  return v4 === undefined ? NON_PUBLIC.check(address, 'ipv6') : NON_PUBLIC.check(v4, 'ipv4');
}
