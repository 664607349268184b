import { resolve, type Check } from '../context';
import { inspectError } from './leakage';

const OVERSIZED_BYTES = 2 * 1024 * 1024;
const DEPTH = 5_000;

/**
 * Oversized bodies and deeply nested JSON, sent to every documented operation that takes a body
 * (or the base URL): a 2xx means the server read and accepted it; a 5xx or no answer, that it
 * could not cope (denial of service).
 */
export const bodiesCheck: Check = {
  name: 'body limits',
  async run(ctx) {
    const targets = ctx.operations
      ? ctx.operations.filter((o) => o.hasBody).map((o) => ({ method: o.method, url: resolve(ctx.base, o.path) }))
      : [{ method: 'POST', url: ctx.base.href }];
    const oversized = JSON.stringify({ data: 'a'.repeat(OVERSIZED_BYTES) });
    const deep = `${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}`;
    for (const { method, url } of targets.slice(0, 20)) {
      for (const [rule, body, what] of [
        ['limits/oversized-body', oversized, 'a 2 MiB body'],
        ['limits/deep-json', deep, `JSON nested ${DEPTH} deep`],
      ] as const) {
        const answer = await ctx.http.send(method, url, { headers: { 'content-type': 'application/json' }, body });
        if (answer.status >= 200 && answer.status < 300) {
          ctx.report({
            rule,
            severity: 'medium',
            message: `${method} accepted ${what} (${answer.status}): cap the body size and shape.`,
            method,
            url,
          });
        } else if (answer.status >= 500 || answer.error) {
          ctx.report({
            rule,
            severity: 'medium',
            message: `${method} with ${what} ${answer.error ? `got no answer (${answer.error})` : `failed with ${answer.status}`}.`,
            method,
            url,
          });
        } else {
          inspectError(ctx, answer);
        }
      }
    }
  },
};
