import { describe, expect, it } from 'vitest';
import { embeddedIpv4, isNonPublicIp } from './network';

describe('isNonPublicIp', () => {
  it.each([
    '127.0.0.1',
    '10.1.2.3',
    '172.31.255.255',
    '192.168.0.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.1',
    '::1',
    '[::1]',
    '::',
    'fd00:ec2::254',
    'fe80::1',
    '::ffff:7f00:1',
    '::ffff:127.0.0.1',
    '64:ff9b::a9fe:a9fe',
    '::7f00:1',
    // Other spellings of loopback and metadata a resolver or URL parser accepts.
    '0x7f000001',
    '2130706433',
    '0177.0.0.1',
    '127.1',
    '[::ffff:127.0.0.1]',
    '::ffff:0:7f00:1',
    'fe80::1%eth0',
    // NAT64 (well-known and local-use prefixes), 6to4 and Teredo.
    '64:ff9b::127.0.0.1',
    '64:ff9b:1::a9fe:a9fe',
    '2002:7f00:1::1',
    '2002:a9fe:a9fe::',
    '2001:0:4136:e378:8000:63bf:3fff:fdd2',
    // Documentation, benchmarking, reserved, broadcast, site-local and outside global unicast.
    '192.0.2.1',
    '198.51.100.7',
    '203.0.113.9',
    '198.18.0.1',
    '255.255.255.255',
    '240.0.0.1',
    '2001:db8::1',
    'fec0::1',
    '100::1',
    '4000::1',
  ])('refuses %s', (ip) => {
    expect(isNonPublicIp(ip)).toBe(true);
  });

  it.each(['93.184.216.34', '8.8.8.8', '2606:4700::1111', '::ffff:808:808', '64:ff9b::808:808', '2002:808:808::1'])(
    'accepts %s',
    (ip) => {
      expect(isNonPublicIp(ip)).toBe(false);
    },
  );

  it('answers undefined for a name', () => {
    expect(isNonPublicIp('example.com')).toBeUndefined();
  });
});

describe('embeddedIpv4', () => {
  it('reads hex and dotted forms', () => {
    expect(embeddedIpv4('::ffff:a9fe:a9fe')).toBe('169.254.169.254');
    expect(embeddedIpv4('64:ff9b::10.0.0.1')).toBe('10.0.0.1');
    expect(embeddedIpv4('2002:7f00:1::')).toBe('127.0.0.1');
    expect(embeddedIpv4('::7f00:1')).toBe('127.0.0.1');
    expect(embeddedIpv4('2001:db8::1')).toBeUndefined();
    expect(embeddedIpv4('127.0.0.1')).toBeUndefined();
  });
});
