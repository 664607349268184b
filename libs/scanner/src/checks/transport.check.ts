import { isIP } from 'node:net';
import type { Check } from '../context';

function isLocal(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 0) return false;
  return /^(127\.|10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|::1$|f[cd]|fe80:)/i.test(host);
}

/** HTTPS: plain HTTP must redirect to it (HSTS itself is scored with the headers). */
export const transportCheck: Check = {
  name: 'HTTPS',
  async run(ctx) {
    if (ctx.base.protocol === 'http:') {
      if (isLocal(ctx.base.hostname)) {
        ctx.skip('HTTPS redirect: the target is plain HTTP on a local address (scan the public URL for TLS checks)');
        return;
      }
      ctx.report({
        rule: 'transport/plain-http',
        severity: 'high',
        message: 'The API answers over plain HTTP: credentials and data cross the network in the clear.',
        method: 'GET',
        url: ctx.base.href,
      });
      return;
    }
    const plain = new URL(ctx.base.href);
    plain.protocol = 'http:';
    plain.port = '';
    const answer = await ctx.http.send('GET', plain.href);
    if (answer.error) {
      ctx.skip(`HTTPS redirect: nothing listens on ${plain.host} over plain HTTP`);
      return;
    }
    const location = answer.headers.location ?? '';
    if (![301, 302, 307, 308].includes(answer.status) || !location.startsWith('https://')) {
      ctx.report({
        rule: 'transport/no-https-redirect',
        severity: 'medium',
        message: 'Plain HTTP is served instead of redirected to HTTPS.',
        method: 'GET',
        url: plain.href,
        evidence: `${answer.status} ${location}`,
      });
    }
  },
};
