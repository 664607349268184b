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
  ])('refuses %s', (ip) => {
    expect(isNonPublicIp(ip)).toBe(true);
  });

  it.each(['93.184.216.34', '8.8.8.8', '2606:4700::1111', '::ffff:808:808'])('accepts %s', (ip) => {
    expect(isNonPublicIp(ip)).toBe(false);
  });

  it('answers undefined for a name', () => {
    expect(isNonPublicIp('example.com')).toBeUndefined();
  });
});

describe('embeddedIpv4', () => {
  it('reads hex and dotted forms', () => {
    expect(embeddedIpv4('::ffff:a9fe:a9fe')).toBe('169.254.169.254');
    expect(embeddedIpv4('64:ff9b::10.0.0.1')).toBe('10.0.0.1');
    expect(embeddedIpv4('2001:db8::1')).toBeUndefined();
  });
});
