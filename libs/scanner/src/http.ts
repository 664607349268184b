import { Agent, request } from 'undici';

/** One answer, its body cut at `MAX_BODY` (the scanner reads evidence, not payloads). */
export interface Answer {
  method: string;
  url: string;
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The request failed: connection reset, timeout. */
  error?: string;
}

const MAX_BODY = 64 * 1024;

/** Sends the scanner's requests (undici) and counts them. */
export class Http {
  requests = 0;
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
      return {
        method,
        url,
        status: res.statusCode,
        headers,
        body: Buffer.concat(chunks).toString('utf8').slice(0, MAX_BODY),
      };
    } catch (error) {
      return { method, url, status: 0, headers: {}, body: '', error: (error as Error).message };
    }
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}
