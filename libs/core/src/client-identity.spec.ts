import { describe, expect, it } from 'vitest';
import { clientKey, normalizeIp, resolveClientIp, TrustedProxies } from './client-identity';

describe('normalizeIp', () => {
  it.each([
    ['10.0.0.1', '10.0.0.1'],
    ['::ffff:10.0.0.1', '10.0.0.1'],
    ['::FFFF:10.0.0.1', '10.0.0.1'],
    ['192.0.2.1:4711', '192.0.2.1'],
    ['[2001:DB8::1]:443', '2001:db8::1'],
    ['fe80::1%eth0', 'fe80::1'],
    [' 203.0.113.5 ', '203.0.113.5'],
    // One spelling per address: uncompressed, upper case, hex-mapped IPv4 all meet.
    ['2001:0DB8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['::ffff:7f00:1', '127.0.0.1'],
    ['0:0:0:0:0:ffff:7f00:0001', '127.0.0.1'],
    // IPv4-translated (RFC 2765), not mapped: the mapped fast path must not take it for 10.0.0.1.
    ['::ffff:0:10.0.0.1', '::ffff:0:a00:1'],
  ])('normalises %s to %s', (raw, expected) => {
    expect(normalizeIp(raw)).toBe(expected);
  });

  it.each(['', 'unknown', '999.1.1.1', '10.0.0.1/8', '[::1', '<script>', '_hidden'])('rejects %j', (raw) => {
    expect(normalizeIp(raw)).toBeUndefined();
  });
});

describe('TrustedProxies', () => {
  it('matches addresses, CIDRs and named ranges in both families', () => {
    const trusted = new TrustedProxies(['loopback', '10.0.0.0/8', '2001:db8::/32']);
    expect(trusted.has('127.0.0.1')).toBe(true);
    expect(trusted.has('::1')).toBe(true);
    expect(trusted.has('10.200.1.1')).toBe(true);
    expect(trusted.has('2001:db8:1::5')).toBe(true);
    expect(trusted.has('11.0.0.1')).toBe(false);
    expect(trusted.has('2001:db9::1')).toBe(false);
  });

  it('trusts nobody by default', () => {
    expect(new TrustedProxies().has('127.0.0.1')).toBe(false);
  });

  it.each(['10.0.0.0/33', 'example.com', '10.0.0.0/8/1', '*'])('refuses the entry %s, naming it', (entry) => {
    expect(() => new TrustedProxies([entry])).toThrow(entry);
  });
});

describe('resolveClientIp', () => {
  const trusted = new TrustedProxies(['10.0.0.0/8']);

  it('ignores forwarding headers from an untrusted peer', () => {
    expect(resolveClientIp('203.0.113.1', '1.2.3.4', trusted)).toBe('203.0.113.1');
  });

  it('walks right to left and stops at the first untrusted hop', () => {
    expect(resolveClientIp('10.0.0.1', '6.6.6.6, 198.51.100.7, 10.0.0.2', trusted)).toBe('198.51.100.7');
  });

  it('reads RFC 7239 Forwarded, quoted IPv6 with port included', () => {
    const header = 'for=6.6.6.6, for="[2001:db8::7]:4711";proto=https, for=10.0.0.3';
    expect(resolveClientIp('10.0.0.1', header, trusted, 'forwarded')).toBe('2001:db8::7');
  });

  it('never attributes a malformed hop to the proxy that forwarded it: the client is unknown', () => {
    expect(resolveClientIp('10.0.0.1', 'not-an-ip', trusted)).toBeUndefined();
    expect(resolveClientIp('10.0.0.1', '198.51.100.7, junk', trusted)).toBeUndefined();
    expect(resolveClientIp('10.0.0.1', 'for=_hidden', trusted, 'forwarded')).toBeUndefined();
    // Garbage beyond the first untrusted hop is the client's own business.
    expect(resolveClientIp('10.0.0.1', 'junk, 198.51.100.7', trusted)).toBe('198.51.100.7');
    // From an untrusted peer the header is not read at all.
    expect(resolveClientIp('203.0.113.1', 'not-an-ip', trusted)).toBe('203.0.113.1');
    expect(resolveClientIp('10.0.0.1', ' ', trusted)).toBe('10.0.0.1');
  });

  it('bounds the walk however long the header is', () => {
    const header = Array.from({ length: 10_000 }, () => '10.0.0.9').join(',');
    expect(resolveClientIp('10.0.0.1', header, trusted)).toBe('10.0.0.9');
  });

  it('answers "unknown" for a socket without an address', () => {
    expect(resolveClientIp(undefined, undefined, trusted)).toBe('unknown');
  });
});

describe('clientKey', () => {
  it('keys IPv6 on its /64 and IPv4 on the address by default, in one spelling', () => {
    expect(clientKey('2001:db8:1:2:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:0DB8:0001:0002:0000:0000:0000:0001')).toBe('2001:db8:1:2::/64');
    expect(clientKey('[2001:db8:1:2::9]:443')).toBe('2001:db8:1:2::/64');
    expect(clientKey('203.0.113.5')).toBe('203.0.113.5');
    expect(clientKey('::ffff:cb00:7105')).toBe('203.0.113.5');
    expect(clientKey('::ffff:203.0.113.5')).toBe('203.0.113.5');
  });

  it('is idempotent on keys, and refuses networks of another length and non-addresses', () => {
    expect(clientKey('2001:db8:1:2::/64')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:db8:1:2:0:0:0:0/64')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:db8::/48')).toBeUndefined();
    expect(clientKey('203.0.113.0/24')).toBeUndefined();
    for (const bad of ['not-an-ip', '', 'unknown', '<script>', '127.1', '0x7f000001'])
      expect(clientKey(bad)).toBeUndefined();
  });

  it('takes configurable prefixes', () => {
    const prefixes = { ipv4: 24, ipv6: 56 };
    expect(clientKey('203.0.113.77', prefixes)).toBe('203.0.113.0/24');
    expect(clientKey('2001:db8:1:2ff::1', prefixes)).toBe('2001:db8:1:200::/56');
    expect(clientKey('2001:db8::1', { ipv4: 32, ipv6: 128 })).toBe('2001:db8::1');
  });
});

describe('TrustedProxies.overlaps', () => {
  it('finds a trusted range inside or around a client key', () => {
    const trusted = new TrustedProxies(['loopback', '10.0.0.0/8', '2001:db8:1:2::7']);
    expect(trusted.overlaps('127.0.0.1')).toBe(true);
    expect(trusted.overlaps('10.9.9.9')).toBe(true);
    expect(trusted.overlaps('2001:db8:1:2::/64')).toBe(true); // the /64 holds the proxy
    expect(trusted.overlaps('::1')).toBe(true);
    expect(trusted.overlaps('2001:db8:1:3::/64')).toBe(false);
    expect(trusted.overlaps('203.0.113.5')).toBe(false);
    expect(new TrustedProxies().overlaps('127.0.0.1')).toBe(false);
  });
});
