import { Logger } from '@nestjs/common';
import type { SecuritySeverity } from '@rampart/core';
import sjson from 'secure-json-parse';
import { Agent, request, type Dispatcher } from 'undici';
import { AddressPolicy } from './address-policy';
import {
  OutboundAddressDeniedError,
  OutboundConnectionError,
  OutboundError,
  OutboundHostNotAllowedError,
  OutboundInvalidUrlError,
  OutboundResponseInvalidError,
  OutboundResponseTooLargeError,
  OutboundSchemeNotAllowedError,
  OutboundTimeoutError,
  OutboundTooManyRedirectsError,
  OutboundUpstreamStatusError,
  type OutboundErrorCode,
} from './outbound.errors';
import {
  canonicalHost,
  resolveOutboundClientOptions,
  type OutboundClientOptions,
  type ResolvedHostRule,
  type ResolvedOutboundClientOptions,
} from './outbound.options';
import { pinnedConnector } from './pinned-connector';
import { validateResponse, type ResponseSchema } from './response-schema';

/** @publicApi */
export type OutboundMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';

/**
 * One call. The body is bytes or text (a redirect that keeps the method resends it).
 * @publicApi
 */
export interface OutboundRequest {
  /** @default 'GET' */
  method?: OutboundMethod;
  headers?: Readonly<Record<string, string>>;
  body?: string | Uint8Array;
  /** Aborts the call (the caller's own deadline or cancellation). */
  signal?: AbortSignal;
  /** Lower this call's response-size limit below the client's. */
  maxResponseBytes?: number;
}

/** Like {@link OutboundRequest}, with the schema the JSON body must match. @publicApi */
export interface OutboundJsonRequest<T> extends OutboundRequest {
  schema?: ResponseSchema<T>;
}

/**
 * A response read in full (within the size limit).
 * @publicApi
 */
export interface OutboundResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The URL that answered, after redirects. */
  readonly url: string;
  readonly body: Buffer;
  text(): string;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const REFUSALS: Partial<Record<OutboundErrorCode, SecuritySeverity>> = {
  OUTBOUND_ADDRESS_DENIED: 'high',
  OUTBOUND_CERTIFICATE_PIN_MISMATCH: 'high',
  OUTBOUND_HOST_NOT_ALLOWED: 'medium',
  OUTBOUND_SCHEME_NOT_ALLOWED: 'medium',
};
const REDIRECT_BODY_BYTES = 16 * 1024;
/** Headers kept when a redirect leaves the origin: anything else may carry a credential. */
const CROSS_ORIGIN_SAFE = new Set(['accept', 'accept-language', 'user-agent']);

/**
 * An HTTP client for calls to third parties that cannot be turned against the network it runs
 * in (OWASP API7, server-side request forgery) and does not trust what comes back (API10):
 * - hosts on an allowlist, https only (http opt-in per host), redirects re-checked per hop;
 * - DNS resolved by the client, every answer checked against the non-public ranges, and the
 *   socket opened to the checked address (no DNS rebinding between check and connect);
 * - connect, header and total timeouts, a response-size limit, optional certificate pins;
 * - JSON parsed without prototype keys and validated against a schema or DTO.
 * Failures are {@link OutboundError}s (502/504 problems when they escape a handler).
 * @publicApi
 * @example
 * const partner = new OutboundClient({ allowedHosts: ['api.partner.com'] });
 * const quote = await partner.json('https://api.partner.com/quote', { schema: QuoteDto });
 */
export class OutboundClient {
  private readonly options: ResolvedOutboundClientOptions;
  private readonly policy: AddressPolicy;
  private readonly agent: Agent;

  /** @throws InvalidOptionsError `OUTBOUND_INVALID_OPTIONS` when the options are wrong. */
  constructor(
    options: OutboundClientOptions,
    private readonly name = 'client',
  ) {
    this.options = resolveOutboundClientOptions(options, name);
    if (this.options.privateNetworks.length > 0) {
      new Logger('OutboundClient').warn(
        `${name}: allowPrivateNetworks exempts ${this.options.privateNetworks.map(([n, p]) => `${n.toString()}/${p}`).join(', ')} from the SSRF deny list. This is a test-only escape.`,
      );
    }
    this.policy = new AddressPolicy(this.options);
    this.agent = new Agent({
      connect: pinnedConnector(this.options, this.policy, (host) => this.ruleFor(host)),
      headersTimeout: this.options.headersTimeoutMs,
      // Idle time between body chunks; the total deadline bounds a trickling body as a whole.
      bodyTimeout: this.options.totalTimeoutMs,
    });
  }

  /** Sends a request and reads the response body within the limits, following allowed redirects. */
  async request(url: string | URL, init: OutboundRequest = {}): Promise<OutboundResponse> {
    let target = this.parse(url);
    const deadline = AbortSignal.timeout(this.options.totalTimeoutMs);
    const signal = init.signal ? AbortSignal.any([init.signal, deadline]) : deadline;
    const limit = Math.min(init.maxResponseBytes ?? Infinity, this.options.maxResponseBytes);
    let method: OutboundMethod = init.method ?? 'GET';
    let body = init.body;
    let headers: Record<string, string> = lowerCased({ ...this.options.headers, ...init.headers });
    try {
      for (let hop = 0; ; hop++) {
        this.authorize(target, hop > 0);
        const response = await request(target, {
          dispatcher: this.agent,
          method,
          headers,
          body,
          signal,
        });
        const location = response.headers.location;
        if (REDIRECTS.has(response.statusCode) && typeof location === 'string' && this.options.maxRedirects > 0) {
          // A redirect's body is not read: a small one is drained (the connection stays reusable).
          await response.body.dump({ limit: REDIRECT_BODY_BYTES });
          if (hop >= this.options.maxRedirects) throw new OutboundTooManyRedirectsError(this.options.maxRedirects);
          const next = this.parse(location, target);
          // RFC 9110 §15.4.4: a 303 (and by old practice a 301/302 after POST) becomes a GET.
          if (response.statusCode === 303 || (response.statusCode <= 302 && method === 'POST')) {
            method = 'GET';
            body = undefined;
            headers = omit(headers, (name) => name.startsWith('content-'));
          }
          if (next.origin !== target.origin) headers = omit(headers, (name) => !CROSS_ORIGIN_SAFE.has(name));
          target = next;
          continue;
        }
        const bytes = await readLimited(response, limit, target.hostname);
        return {
          status: response.statusCode,
          headers: response.headers,
          url: target.href,
          body: bytes,
          text: () => bytes.toString('utf8'),
        };
      }
    } catch (error) {
      const translated = this.translate(error, target.hostname, deadline, init.signal);
      if (translated instanceof OutboundError) this.report(translated);
      throw translated;
    }
  }

  /**
   * GETs (or sends) and returns the JSON body, validated against `schema` when given. Refuses a
   * status outside 2xx, a body that is not JSON or carries `__proto__`/`constructor.prototype`.
   */
  async json<T = unknown>(url: string | URL, init: OutboundJsonRequest<T> = {}): Promise<T> {
    const { schema, ...rest } = init;
    const response = await this.request(url, {
      ...rest,
      headers: { accept: 'application/json', ...rest.headers },
    });
    const host = new URL(response.url).hostname;
    if (response.status < 200 || response.status > 299) throw new OutboundUpstreamStatusError(host, response.status);
    let value: unknown;
    try {
      value = sjson.parse(response.body, undefined, { protoAction: 'error', constructorAction: 'error' });
    } catch {
      throw new OutboundResponseInvalidError(host, [{ field: '', message: 'The response is not valid JSON.' }]);
    }
    return schema === undefined ? (value as T) : validateResponse(value, schema, host);
  }

  /** Closes the client's connections. */
  async close(): Promise<void> {
    await this.agent.close();
  }

  private parse(url: string | URL, base = this.options.baseUrl): URL {
    let parsed: URL;
    try {
      parsed = new URL(url, base);
    } catch {
      throw new OutboundInvalidUrlError('The outbound URL is not a valid absolute URL.');
    }
    // Credentials in a URL end up in logs and Referer-like places; send them as headers.
    if (parsed.username !== '' || parsed.password !== '') {
      throw new OutboundInvalidUrlError('The outbound URL carries credentials: send them in a header instead.');
    }
    return parsed;
  }

  /** Scheme, allowlist and (for IP literals) the address check, before anything is sent. */
  private authorize(url: URL, redirect: boolean): void {
    const host = canonicalHost(url.hostname);
    const rule = this.ruleFor(host);
    if (!rule && !this.options.allowAnyPublicHost) throw new OutboundHostNotAllowedError(host, redirect);
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && rule?.allowHttp)) {
      throw new OutboundSchemeNotAllowedError(url.protocol.slice(0, -1), host);
    }
  }

  private ruleFor(host: string): ResolvedHostRule | undefined {
    const name = canonicalHost(host);
    let best: ResolvedHostRule | undefined;
    for (const rule of this.options.hosts) {
      if (!rule.wildcard && rule.host === name) return rule;
      if (rule.wildcard && name.endsWith(`.${rule.host}`) && (!best || rule.host.length > best.host.length)) {
        best = rule;
      }
    }
    return best;
  }

  /** Policy refusals are security events: an SSRF attempt (or a misconfiguration) to look at. */
  private report(error: OutboundError): void {
    const severity = REFUSALS[error.outboundCode];
    const events = this.options.events;
    if (severity === undefined || !events?.wants('outbound.refused')) return;
    const { host, address, redirect } = error as Partial<OutboundAddressDeniedError & OutboundHostNotAllowedError>;
    events.emit({
      type: 'outbound.refused',
      severity,
      reason: error.reason,
      details: { client: this.name, host, address, redirect },
    });
  }

  private translate(error: unknown, host: string, deadline: AbortSignal, callerSignal?: AbortSignal): unknown {
    if (deadline.aborted) return new OutboundTimeoutError(host, 'total', this.options.totalTimeoutMs, error);
    if (callerSignal?.aborted) return error;
    if (error instanceof OutboundError) return error;
    const code = (error as { code?: unknown }).code;
    if (code === 'UND_ERR_CONNECT_TIMEOUT') {
      return new OutboundTimeoutError(host, 'connect', this.options.connectTimeoutMs, error);
    }
    if (code === 'UND_ERR_HEADERS_TIMEOUT') {
      return new OutboundTimeoutError(host, 'headers', this.options.headersTimeoutMs, error);
    }
    if (code === 'UND_ERR_BODY_TIMEOUT')
      return new OutboundTimeoutError(host, 'body', this.options.totalTimeoutMs, error);
    return new OutboundConnectionError(host, error);
  }
}

/**
 * Reads the body up to `limit` bytes and destroys the connection beyond: a hostile or broken
 * third party cannot make the app buffer an unbounded response (memory exhaustion).
 */
async function readLimited(response: Dispatcher.ResponseData, limit: number, host: string): Promise<Buffer> {
  const declared = Number(response.headers['content-length']);
  if (declared > limit) {
    cutOff(response.body);
    throw new OutboundResponseTooLargeError(host, limit);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      cutOff(response.body);
      throw new OutboundResponseTooLargeError(host, limit);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

/** Destroys a body mid-stream, which closes its connection; the abort it reports is expected. */
function cutOff(body: Dispatcher.ResponseData['body']): void {
  body.on('error', () => undefined);
  body.destroy();
}

function lowerCased(headers: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}

function omit(headers: Record<string, string>, drop: (name: string) => boolean): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !drop(name)));
}
