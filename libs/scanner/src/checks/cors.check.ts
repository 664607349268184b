import type { Check } from '../context';

/**
 * Origins a strict CORS policy must refuse: a foreign site, the `null` origin (sandboxed frames,
 * file: pages — attackers can send it), and look-alikes that defeat suffix/prefix matching.
 */
function hostileOrigins(base: URL): string[] {
  return [
    'https://rampart-scan.invalid',
    'null',
    `${base.protocol}//${base.hostname}.rampart-scan.invalid`,
    `${base.protocol}//rampart-scan-${base.hostname}`,
  ];
}

export const corsCheck: Check = {
  name: 'CORS',
  async run(ctx) {
    for (const origin of hostileOrigins(ctx.base)) {
      for (const preflight of [false, true]) {
        const answer = await ctx.http.send(preflight ? 'OPTIONS' : 'GET', ctx.base.href, {
          headers: preflight
            ? { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' }
            : { origin },
        });
        const allowed = answer.headers['access-control-allow-origin'];
        const credentials = answer.headers['access-control-allow-credentials'] === 'true';
        if (allowed === origin) {
          ctx.report({
            rule: origin === 'null' ? 'cors/null-origin' : 'cors/reflected-origin',
            severity: credentials ? 'high' : 'medium',
            message: `CORS allows the origin ${origin}${credentials ? ' with credentials' : ''}: list your origins exactly.`,
            method: answer.method,
            url: answer.url,
            evidence: `Access-Control-Allow-Origin: ${allowed}`,
          });
          return;
        }
        if (allowed === '*' && credentials) {
          ctx.report({
            rule: 'cors/wildcard-credentials',
            severity: 'high',
            message: 'CORS answers "*" with credentials allowed.',
            method: answer.method,
            url: answer.url,
            evidence: 'Access-Control-Allow-Origin: *',
          });
          return;
        }
      }
    }
  },
};
