import { Agent, request } from 'undici';

/** One answer, its body cut at `MAX_BODY` (the scanner reads evidence, not payloads). */
export interface Answer {
  method: string;
  url: string;
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Each `Set-Cookie` header as sent (they cannot be joined: `Expires` holds a comma). */
  cookies: string[];
  /** The request failed: connection reset, timeout. */
  error?: string;
}

/** A `Set-Cookie` header and the request whose answer carried it. */
export interface SeenCookie {
  header: string;
  method: string;
  url: string;
}

/** Distinct cookies kept for the cookie check: bounded, whatever a server sends. */
const MAX_SEEN_COOKIES = 200;

const MAX_BODY = 64 * 1024;

/** Sends the scanner's requests (undici) and counts them. */
export class Http {
  requests = 0;
  /** Every distinct cookie (name and attributes, not value) any answer set, first sighting first. */
  readonly seenCookies = new Map<string, SeenCookie>();
  private readonly agent: Agent;

  constructor(
    private readonly timeoutMs: number,
    private readonly extraHeaders: Record<string, string> = {},
  ) {
    this.agent = new Agent({ headersTimeout: timeoutMs, bodyTimeout: timeoutMs, connect: { timeout: timeoutMs } });
  }

  async send(
    method: string,
    url: string,
    init: { headers?: Record<string, string>; body?: string | Buffer } = {},
  ): Promise<Answer> {
    this.requests++;
    try {
      const res = await request(url, {
        method,
        headers: { 'user-agent': 'rampart-scan', ...this.extraHeaders, ...init.headers },
        body: init.body,
        dispatcher: this.agent,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        if (size < MAX_BODY) chunks.push(chunk);
        size += chunk.length;
      }
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(res.headers)) {
        if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
      }
      const setCookie = res.headers['set-cookie'];
      const cookies = setCookie === undefined ? [] : Array.isArray(setCookie) ? setCookie : [setCookie];
      for (const header of cookies) this.remember(header, method, url);
      return {
        method,
        url,
        status: res.statusCode,
        headers,
        body: Buffer.concat(chunks).toString('utf8').slice(0, MAX_BODY),
        cookies,
      };
    } catch (error) {
      return { method, url, status: 0, headers: {}, body: '', cookies: [], error: (error as Error).message };
    }
  }

  private remember(header: string, method: string, url: string): void {
    const semicolon = header.indexOf(';');
    const name = header.slice(0, Math.max(0, header.indexOf('='))).trim();
    // One entry per name and flags: a new session id or expiry time on every answer is one cookie.
    const flags =
      semicolon < 0
        ? ''
        : header
            .slice(semicolon)
            .toLowerCase()
            .replace(/(expires|max-age)=[^;]*/g, '$1');
    const key = `${name}${flags}`;
    if (this.seenCookies.has(key) || this.seenCookies.size >= MAX_SEEN_COOKIES) return;
    this.seenCookies.set(key, { header, method, url });
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}
