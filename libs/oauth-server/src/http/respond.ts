/** The response methods Express's `res` and Fastify's `reply` both have. */
export interface PlatformResponse {
  status(code: number): unknown;
  header(name: string, value: string): unknown;
  removeHeader?(name: string): unknown;
  send(body?: string): unknown;
}

/** Token responses carry credentials: no cache may keep them (RFC 6749 §5.1). */
function noStore(res: PlatformResponse): void {
  res.header('Cache-Control', 'no-store');
  res.header('Pragma', 'no-cache');
}

export function sendJson(
  res: PlatformResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.status(status);
  noStore(res);
  res.header('Content-Type', 'application/json; charset=utf-8');
  for (const [name, value] of Object.entries(headers)) res.header(name, value);
  res.send(JSON.stringify(body));
}

export function sendRedirect(res: PlatformResponse, location: string): void {
  res.status(302);
  noStore(res);
  res.header('Location', location);
  res.send();
}

export function sendEmpty(res: PlatformResponse, status: number): void {
  res.status(status);
  noStore(res);
  res.send();
}

/**
 * No CORS on the authorization endpoint: it is navigated to, never fetched, and an application
 * that could read its responses cross-origin could read codes and interaction links.
 */
export function removeCorsHeaders(res: PlatformResponse): void {
  for (const name of [
    'Access-Control-Allow-Origin',
    'Access-Control-Allow-Credentials',
    'Access-Control-Expose-Headers',
  ]) {
    res.removeHeader?.(name);
  }
}
