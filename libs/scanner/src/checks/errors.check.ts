import { resolve, type Check } from '../context';
import { inspectError } from './leakage';

/** Error handling on malformed input: an unknown path, broken JSON, a broken URL encoding. */
export const errorsCheck: Check = {
  name: 'error leakage',
  async run(ctx) {
    const unknown = await ctx.http.send('GET', resolve(ctx.base, `rampart-scan-${ctx.marker}`));
    inspectError(ctx, unknown, ctx.marker);
    const targets = [
      ctx.base.href,
      ...(ctx.operations ?? []).filter((o) => o.hasBody).map((o) => resolve(ctx.base, o.path)),
    ];
    for (const url of [...new Set(targets)].slice(0, 20)) {
      const broken = await ctx.http.send('POST', url, {
        headers: { 'content-type': 'application/json' },
        body: `{"${ctx.marker}": `,
      });
      inspectError(ctx, broken, ctx.marker);
    }
    const encoding = await ctx.http.send('GET', `${resolve(ctx.base, `rampart-scan-${ctx.marker}`)}%E0%A4%A`);
    inspectError(ctx, encoding);
  },
};
