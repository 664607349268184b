/**
 * What {@link strictCors} returns: options that `app.enableCors()` accepts on Express (`cors`)
 * and on Fastify (`@fastify/cors`) alike.
 */
export interface CorsOptions {
  origin: (origin: string | undefined, callback: (error: Error | null, allow: boolean) => void) => void;
  credentials: boolean;
  methods: string[];
  allowedHeaders: string[];
  exposedHeaders: string[];
  maxAge: number;
  optionsSuccessStatus: number;
}

/** Options of {@link strictCors}. @publicApi */
export interface StrictCorsOptions {
  /** Exact origins allowed to call the API from a browser, e.g. `https://app.example.com`. No wildcards. */
  origins: readonly string[];
  /** Whether browsers may send cookies and HTTP auth. @default false */
  credentials?: boolean;
  /** @default ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] */
  methods?: readonly string[];
  /** Request headers a browser may send. @default ['Authorization', 'Content-Type', 'X-API-Key', 'X-Request-Id'] */
  allowedHeaders?: readonly string[];
  /** How long browsers may cache a preflight answer, in seconds. @default 600 */
  maxAgeSeconds?: number;
  /**
   * DPoP (RFC 9449) from browsers: the `DPoP` request header is allowed in preflights, and
   * `DPoP-Nonce` and `WWW-Authenticate` are exposed, so a browser client can read the nonce it must
   * sign and the challenge that says why a token was refused. `useRampart` turns it on when
   * AuthModule (whose JWT guard verifies DPoP) is installed. @default false
   */
  dpop?: boolean;
}

/** Response headers a browser script may read: the request id and the rate-limit state. */
const EXPOSED_HEADERS = ['X-Request-Id', 'RateLimit', 'RateLimit-Policy', 'Retry-After'];
/** With DPoP: the nonce to sign (RFC 9449 §8) and the challenge that names the error (§7.1). */
const DPOP_EXPOSED_HEADERS = ['DPoP-Nonce', 'WWW-Authenticate'];

/**
 * A CORS policy with an explicit origin allowlist. A request from any other origin gets no CORS
 * header at all, so the browser keeps the response from the calling page. Origins are compared
 * exactly — prefix or regex matching is how `https://app.example.com.evil.net` gets in.
 * @publicApi
 * @example
 * app.enableCors(strictCors({ origins: ['https://app.example.com'], credentials: true }));
 */
export function strictCors(options: StrictCorsOptions): CorsOptions {
  const allowed = new Set<string>();
  for (const origin of options.origins) {
    // "*" with credentials would let every site act as the logged-in user; "null" is what
    // sandboxed iframes and file: pages send, so allowing it allows anyone.
    if (origin === '*' || origin === 'null') {
      throw new TypeError(`strictCors: "${origin}" is not allowed; list the exact origins that may call the API`);
    }
    let parsed: URL;
    try {
      parsed = new URL(origin);
    } catch {
      throw new TypeError(`strictCors: "${origin}" is not an origin; write it as scheme://host[:port]`);
    }
    if (origin.includes('*')) {
      throw new TypeError(`strictCors: "${origin}" has a wildcard; list each origin that may call the API`);
    }
    if (parsed.origin !== origin) {
      throw new TypeError(`strictCors: "${origin}" is not an origin; did you mean "${parsed.origin}"?`);
    }
    allowed.add(origin);
  }
  return {
    origin: (origin, callback) => {
      callback(null, origin !== undefined && allowed.has(origin));
    },
    credentials: options.credentials ?? false,
    methods: [...(options.methods ?? ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'])],
    allowedHeaders: withDpop(
      options.allowedHeaders ?? ['Authorization', 'Content-Type', 'X-API-Key', 'X-Request-Id'],
      options.dpop === true ? ['DPoP'] : [],
    ),
    exposedHeaders: withDpop(EXPOSED_HEADERS, options.dpop === true ? DPOP_EXPOSED_HEADERS : []),
    maxAge: options.maxAgeSeconds ?? 600,
    optionsSuccessStatus: 204,
  };
}

/** `names` plus those of `extra` not already in it (header names compare case-insensitively). */
function withDpop(names: readonly string[], extra: readonly string[]): string[] {
  const present = new Set(names.map((name) => name.toLowerCase()));
  return [...names, ...extra.filter((name) => !present.has(name.toLowerCase()))];
}
