import { resolve, type Check } from '../context';

/**
 * Method tampering: TRACE echoing the request (cross-site tracing reads cookies and
 * Authorization), and method-override headers that turn a GET into a write.
 */
export const methodsCheck: Check = {
  name: 'methods',
  async run(ctx) {
    const trace = await ctx.http.send('TRACE', ctx.base.href, { headers: { 'x-rampart-scan': ctx.marker } });
    if (trace.status >= 200 && trace.status < 300) {
      ctx.report({
        rule: 'methods/trace-enabled',
        severity: 'medium',
        message: 'TRACE is answered: disable it.',
        method: 'TRACE',
        url: trace.url,
      });
    }
    const operations = ctx.operations ?? [];
    // Only where no GET is documented: a 2xx can then come from the DELETE handler alone.
    const readable = new Set(operations.filter((o) => o.method === 'GET').map((o) => o.template));
    const writes = operations.filter((o) => o.method === 'DELETE' && o.secured && !readable.has(o.template));
    for (const operation of writes.slice(0, 10)) {
      const url = resolve(ctx.base, operation.path);
      const answer = await ctx.http.send('GET', url, {
        headers: { 'x-http-method-override': 'DELETE', 'x-method-override': 'DELETE' },
      });
      if (answer.status >= 200 && answer.status < 300) {
        ctx.report({
          rule: 'methods/override-honoured',
          severity: 'high',
          message: `GET with X-HTTP-Method-Override: DELETE on ${operation.template} answered ${answer.status} without credentials.`,
          method: 'GET',
          url,
        });
      }
    }
  },
};
