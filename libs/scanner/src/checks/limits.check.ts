import { resolve, type Check } from '../context';
import type { Answer } from '../http';

const RATE_LIMIT_HEADERS = ['ratelimit', 'ratelimit-policy', 'x-ratelimit-limit', 'x-rate-limit-limit'];

function limited(answer: Answer): boolean {
  return RATE_LIMIT_HEADERS.some((name) => name in answer.headers) || answer.status === 429;
}

/**
 * Rate-limit headers (draft-ietf-httpapi-ratelimit-headers or the X-RateLimit-* convention) on
 * every documented operation, or on the base URL when it answers 2xx: their absence is the sign
 * of no limit at all (OWASP API4, unrestricted resource consumption).
 */
export const limitsCheck: Check = {
  name: 'rate limits',
  async run(ctx) {
    const targets = ctx.operations
      ? ctx.operations.filter((o) => o.method === 'GET' && !o.template.includes('{')).map((o) => o.path)
      : [''];
    for (const path of targets) {
      const answer = await ctx.http.send('GET', resolve(ctx.base, path));
      // A refusal may be counted without advertising a quota (Rampart counts a 401 under the
      // anonymous key and answers it alone): only an admitted answer is evidence of no limit.
      if (answer.error || [401, 403, 404].includes(answer.status) || answer.status >= 500) continue;
      if (!ctx.operations && (answer.status < 200 || answer.status >= 300)) {
        ctx.skip('rate limits: the base URL does not answer 2xx; pass --openapi to check the operations');
        continue;
      }
      if (!limited(answer)) {
        ctx.report({
          rule: 'limits/no-rate-limit',
          severity: 'medium',
          message: `GET ${path || '/'} answered ${answer.status} without rate-limit headers: no limit seems to apply.`,
          method: 'GET',
          url: answer.url,
        });
      }
    }
  },
};
