import { lookup } from 'node:dns/promises';
import { isNonPublicIp } from '@rampart/core';
import ipaddr from 'ipaddr.js';
import { OutboundAddressDeniedError, OutboundConnectionError, OutboundTimeoutError } from './outbound.errors';
import type { OutboundResolver, ResolvedAddress, ResolvedOutboundClientOptions } from './outbound.options';

const systemResolver: OutboundResolver = async (hostname) =>
  (await lookup(hostname, { all: true, verbatim: true })) as ResolvedAddress[];

/** `[::1]` → `::1`: URL host names bracket IPv6 literals, sockets do not. */
export function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/**
 * Decides which addresses a client may connect to: public ones only (core's `isNonPublicIp`,
 * one list for every lib), plus the test-only `allowPrivateNetworks` ranges.
 */
export class AddressPolicy {
  private readonly resolver: OutboundResolver;

  constructor(private readonly options: ResolvedOutboundClientOptions) {
    this.resolver = options.resolver ?? systemResolver;
  }

  /** Throws unless `address` may be connected to. `host` names the target in the error. */
  check(host: string, address: string): void {
    if (isNonPublicIp(address) === false || this.exempted(address)) return;
    throw new OutboundAddressDeniedError(host, address);
  }

  /**
   * Resolves `host` and checks EVERY answer before connecting to the first: an attacker who
   * controls a name's DNS can mix a public and a private answer (or rebind between lookups),
   * so one bad answer refuses the name. The caller connects to the address returned, never
   * to the name, so no second lookup can substitute another address (DNS rebinding).
   */
  async resolve(host: string): Promise<string> {
    const literal = unbracket(host);
    if (ipaddr.isValid(literal)) {
      this.check(host, literal);
      return ipaddr.parse(literal).toString();
    }
    const answers = await this.lookup(host);
    if (answers.length === 0) throw new OutboundConnectionError(host, new Error('no DNS answer'));
    for (const answer of answers) this.check(host, answer.address);
    return (answers[0] as ResolvedAddress).address;
  }

  private async lookup(host: string): Promise<readonly ResolvedAddress[]> {
    let timer: NodeJS.Timeout | undefined;
    const limit = this.options.connectTimeoutMs;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new OutboundTimeoutError(host, 'connect', limit)), limit);
    });
    try {
      return await Promise.race([this.resolver(host), timeout]);
    } catch (error) {
      if (error instanceof OutboundTimeoutError) throw error;
      throw new OutboundConnectionError(host, error);
    } finally {
      clearTimeout(timer);
    }
  }

  private exempted(address: string): boolean {
    if (this.options.privateNetworks.length === 0 || !ipaddr.isValid(address)) return false;
    let parsed = ipaddr.parse(address);
    if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
      parsed = (parsed as ipaddr.IPv6).toIPv4Address();
    }
    return this.options.privateNetworks.some(
      ([network, prefix]) => network.kind() === parsed.kind() && parsed.match(network, prefix),
    );
  }
}
