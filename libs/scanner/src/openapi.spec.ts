import { describe, expect, it } from 'vitest';
import { operationsOf } from './openapi';

describe('operationsOf', () => {
  const document = {
    security: [{ bearer: [] }],
    paths: {
      '/notes/{id}': { get: { responses: {} }, delete: { security: [{ bearer: ['notes:write'] }] } },
      '/health': { get: { security: [] } },
      '/catalog': { get: { security: [{}, { bearer: [] }] } },
      '/notes': { post: { requestBody: { content: {} } } },
    },
  };

  it('inherits the document security, honours an empty list and an anonymous alternative', () => {
    const secured = Object.fromEntries(operationsOf(document).map((o) => [`${o.method} ${o.template}`, o.secured]));
    expect(secured).toEqual({
      'GET /notes/{id}': true,
      'DELETE /notes/{id}': true,
      'GET /health': false,
      // `{}` among the requirements: anonymous callers are allowed, nothing to attack.
      'GET /catalog': false,
      'POST /notes': true,
    });
  });

  it('fills path parameters with an id that exists nowhere and notes request bodies', () => {
    const [get] = operationsOf(document);
    expect(get?.path).toBe('/notes/00000000-0000-4000-8000-000000000000');
    expect(operationsOf(document).find((o) => o.method === 'POST')?.hasBody).toBe(true);
  });

  it('refuses what is not an OpenAPI document', () => {
    expect(() => operationsOf({ swagger: '2.0' })).toThrow(/no "paths"/);
    expect(() => operationsOf(null)).toThrow(/no "paths"/);
  });
});
