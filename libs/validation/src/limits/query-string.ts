/** The query string of a request target, without the `?`. */
export function queryOf(url: string): string {
  const start = url.indexOf('?');
  return start < 0 ? '' : url.slice(start + 1);
}

/** How many `&`-separated parameters a query string has, counted without splitting it. */
export function countQueryParams(query: string): number {
  if (query.length === 0) return 0;
  let count = 1;
  for (let i = 0; i < query.length; i++) if (query.charCodeAt(i) === 38 /* & */) count++;
  return count;
}

/**
 * Rampart's query-string parser, the same on Express and Fastify: flat `key=value` pairs, a
 * repeated key becomes an array, at most `maxParams` pairs are read. It never nests: with
 * Express's "extended" (qs) parser, `a[b][c]=1` builds objects whose depth and width the client
 * chooses, and `a[__proto__]=…` reaches for prototypes; here `a[b][c]` is just a key, which a
 * whitelisting DTO then refuses. The object has no prototype, so no key can shadow one.
 */
export function parseQueryString(query: string, maxParams: number): Record<string, string | string[]> {
  const result = Object.create(null) as Record<string, string | string[]>;
  let read = 0;
  for (const [key, value] of new URLSearchParams(query)) {
    if (++read > maxParams) break;
    const existing = result[key];
    if (existing === undefined) result[key] = value;
    else if (typeof existing === 'string') result[key] = [existing, value];
    else existing.push(value);
  }
  return result;
}
