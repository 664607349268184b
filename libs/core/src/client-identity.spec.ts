import { describe, expect, it } from 'vitest';
import { normalizeIp, resolveClientIp, TrustedProxies } from './client-identity';

describe('normalizeIp', () => {
  it.each([
    ['10.0.0.1', '10.0.0.1'],
    ['::ffff:10.0.0.1', '10.0.0.1'],
    ['::FFFF:10.0.0.1', '10.0.0.1'],
    ['192.0.2.1:4711', '192.0.2.1'],
    ['[2001:DB8::1]:443', '2001:db8::1'],
    ['fe80::1%eth0', 'fe80::1'],
    [' 203.0.113.5 ', '203.0.113.5'],
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

  it('stops at garbage and keeps the last address it can vouch for', () => {
    expect(resolveClientIp('10.0.0.1', '198.51.100.7, junk', trusted)).toBe('10.0.0.1');
  });

  it('bounds the walk however long the header is', () => {
    const header = Array.from({ length: 10_000 }, () => '10.0.0.9').join(',');
    expect(resolveClientIp('10.0.0.1', header, trusted)).toBe('10.0.0.9');
  });

  it('answers "unknown" for a socket without an address', () => {
    expect(resolveClientIp(undefined, undefined, trusted)).toBe('unknown');
  });
});
