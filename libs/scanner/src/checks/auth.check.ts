import { resolve, type Check } from '../context';
import { inspectError } from './leakage';

/** An unsigned token (`alg: none`) claiming to be an administrator: a server must refuse it. */
const FORGED_TOKEN = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(
  '{"sub":"admin","scope":"admin","exp":4102444800}',
).toString('base64url')}.`;

/**
 * Every operation the OpenAPI document marks as secured, called without a credential, with a
 * forged token and, for GET, as HEAD (frameworks that route HEAD to the GET handler may skip the
 * guard): anything but a refusal is a finding.
 */
export const authCheck: Check = {
  name: 'authentication',
  async run(ctx) {
    if (!ctx.operations) {
      ctx.skip('authentication: no OpenAPI document (--openapi) to list the operations');
      return;
    }
    for (const operation of ctx.operations.filter((o) => o.secured)) {
      const url = resolve(ctx.base, operation.path);
      const body: { headers?: Record<string, string>; body?: string } = operation.hasBody
        ? { headers: { 'content-type': 'application/json' }, body: '{}' }
        : {};
      const attempts: { method: string; headers: Record<string, string>; how: string }[] = [
        { method: operation.method, headers: {}, how: 'without credentials' },
        {
          method: operation.method,
          headers: { authorization: `Bearer ${FORGED_TOKEN}` },
          how: 'with an unsigned (alg none) token',
        },
        ...(operation.method === 'GET' ? [{ method: 'HEAD', headers: {}, how: 'as HEAD without credentials' }] : []),
      ];
      for (const attempt of attempts) {
        const answer = await ctx.http.send(attempt.method, url, {
          ...body,
          headers: { ...body.headers, ...attempt.headers },
        });
        if (answer.status >= 200 && answer.status < 300) {
          ctx.report({
            rule: 'auth/unauthenticated-access',
            severity: 'high',
            message: `${operation.method} ${operation.template} is secured in the OpenAPI document but answered ${answer.status} ${attempt.how}.`,
            method: attempt.method,
            url,
          });
        } else if (answer.status >= 500 || answer.error) {
          inspectError(ctx, answer);
        }
      }
    }
  },
};
