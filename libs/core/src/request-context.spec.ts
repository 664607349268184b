import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { TrustedProxies } from './client-identity';
import { createRequestContext, type RequestContextOptions } from './request-context';

/** A request on `socket`: requests on one keep-alive connection share it. */
const requestOn = (socket: { remoteAddress: string }, headers: Record<string, string> = {}): IncomingMessage =>
  ({ socket, headers }) as unknown as IncomingMessage;

const untrusting: RequestContextOptions = { trustedProxies: new TrustedProxies(), proxyHeader: 'x-forwarded-for' };
const behindProxy: RequestContextOptions = {
  trustedProxies: new TrustedProxies(['loopback']),
  proxyHeader: 'x-forwarded-for',
};

describe('createRequestContext', () => {
  it('reads an IPv4 client on a dual-stack listener (::ffff:a.b.c.d) as plain IPv4', () => {
    const context = createRequestContext(requestOn({ remoteAddress: '::ffff:203.0.113.9' }), untrusting);
    expect(context).toMatchObject({ clientIp: '203.0.113.9', clientKey: '203.0.113.9', forwardedInvalid: false });
  });

  it('keys an IPv6 client by its /64', () => {
    const context = createRequestContext(requestOn({ remoteAddress: '2001:db8:1:2::99' }), untrusting);
    expect(context).toMatchObject({ clientIp: '2001:db8:1:2::99', clientKey: '2001:db8:1:2::/64' });
  });

  it('resolves each request of a keep-alive connection from a trusted proxy on its own headers', () => {
    const proxy = { remoteAddress: '127.0.0.1' };
    const first = createRequestContext(requestOn(proxy, { 'x-forwarded-for': '198.51.100.1' }), behindProxy);
    const second = createRequestContext(requestOn(proxy, { 'x-forwarded-for': '198.51.100.2' }), behindProxy);
    const forged = createRequestContext(requestOn(proxy, { 'x-forwarded-for': 'junk' }), behindProxy);
    const direct = createRequestContext(requestOn(proxy), behindProxy);
    expect([first.clientIp, second.clientIp, forged.clientIp, direct.clientIp]).toEqual([
      '198.51.100.1',
      '198.51.100.2',
      'unknown',
      '127.0.0.1',
    ]);
    expect([first.forwardedInvalid, forged.forwardedInvalid]).toEqual([false, true]);
  });

  it('never lets what one set of options concluded about a connection answer for another', () => {
    const socket = { remoteAddress: '127.0.0.1' };
    const headers = { 'x-forwarded-for': '198.51.100.7', 'x-forwarded-proto': 'https' };
    expect(createRequestContext(requestOn(socket, headers), behindProxy)).toMatchObject({
      clientIp: '198.51.100.7',
      protocol: 'https',
    });
    // The same connection seen by an application that trusts no proxy: the header is a forgery.
    expect(createRequestContext(requestOn(socket, headers), untrusting)).toMatchObject({
      clientIp: '127.0.0.1',
      protocol: 'http',
    });
  });
});
