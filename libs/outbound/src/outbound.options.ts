import { InvalidOptionsError, type SecurityEvents } from '@rampart/core';
import ipaddr from 'ipaddr.js';

/** One answer of a DNS lookup. @publicApi */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/**
 * Resolves a host name to every address it has. The client checks each answer and connects to
 * the one it checked. Replace it to use another resolver, or in tests.
 * @publicApi
 */
export type OutboundResolver = (hostname: string) => Promise<readonly ResolvedAddress[]>;

/**
 * Per-host settings, for a host that needs more than being allowed.
 * @publicApi
 */
export interface OutboundHostRule {
  /** `api.partner.com`, or `*.partner.com` for its subdomains (not `partner.com` itself). */
  host: string;
  /** Plain http to this host (its traffic can be read and changed on the way). @default false */
  allowHttp?: boolean;
  /**
   * Certificate pinning: base64 SHA-256 of the server's SubjectPublicKeyInfo (HPKP's `pin-sha256`
   * format, `openssl x509 -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst
   * -sha256 -binary | base64`). The connection passes when any pin matches; list the next key
   * too before the third party rotates it.
   */
  pins?: readonly string[];
}

/**
 * Options of one {@link OutboundClient}. Every limit has a safe default.
 * @publicApi
 */
export interface OutboundClientOptions {
  /** Hosts this client may call, and follow redirects to. Required unless `allowAnyPublicHost`. */
  allowedHosts?: readonly (string | OutboundHostRule)[];
  /**
   * Allow any host whose every address is public (for webhooks to URLs users register). The
   * deny list still applies. @default false
   */
  allowAnyPublicHost?: boolean;
  /**
   * TEST-ONLY ESCAPE: CIDRs (`127.0.0.1/32`) exempted from the deny list of non-public addresses.
   * Every entry re-opens server-side request forgery to that range. Never set it in production
   * to reach an internal service through a public name: that is exactly what an attacker who
   * controls the name's DNS would do. Refused at construction when `NODE_ENV=production`. @default []
   */
  allowPrivateNetworks?: readonly string[];
  /** Relative URLs given to `request`/`json` resolve against it. */
  baseUrl?: string;
  /** Headers sent with every call (not across a redirect to another origin, see README). */
  headers?: Readonly<Record<string, string>>;
  /** DNS lookup plus TCP and TLS handshake. @default 5000 */
  connectTimeoutMs?: number;
  /** From the request sent to the response headers received. @default 10000 */
  headersTimeoutMs?: number;
  /** Everything, redirects and the body included. @default 30000 */
  totalTimeoutMs?: number;
  /** The body is read up to this size; the connection is cut beyond it. @default 1048576 (1 MiB) */
  maxResponseBytes?: number;
  /** Redirects followed per call; `0` returns the 3xx response as is. @default 3 */
  maxRedirects?: number;
  /** @default every answer of `dns.lookup(host, { all: true })` (the system resolver, /etc/hosts included) */
  resolver?: OutboundResolver;
  /** Extra trusted certificate authorities (PEM), e.g. a partner's private CA. Node's roots stay trusted. */
  ca?: string | readonly string[];
  /**
   * Where `outbound.refused` security events go (a refused address, host, scheme or pin: an SSRF
   * attempt or a misconfiguration). `OutboundModule` passes core's `SecurityEvents` when present.
   */
  events?: SecurityEvents;
}

/** A secret read from the environment. @publicApi */
export interface OutboundSecretSpec {
  /** The variable's name. Several active keys (rotation) are comma-separated, the current first. */
  env: string;
  /** Characters each key must have at least. @default 32 */
  minLength?: number;
  /**
   * When the variable is missing: in production the application refuses to start; elsewhere
   * the secret is absent (`get` throws) unless this is `true`. @default false
   */
  required?: boolean;
}

/**
 * Options of {@link OutboundModule}.
 * @publicApi
 */
export interface OutboundModuleOptions {
  /** Named clients, each with its own allowlist and limits, from `OutboundClients.get(name)`. */
  clients?: Readonly<Record<string, OutboundClientOptions>>;
  /** Third-party secrets, by name, checked at bootstrap and read with `OutboundSecrets.get(name)`. */
  secrets?: Readonly<Record<string, OutboundSecretSpec>>;
  /** Where secrets are read from. @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
  /** Production rules for secrets (missing or weak stops the app). @default NODE_ENV === 'production' */
  production?: boolean;
}

export interface ResolvedHostRule {
  readonly host: string;
  readonly wildcard: boolean;
  readonly allowHttp: boolean;
  readonly pins: ReadonlySet<string> | undefined;
}

export interface ResolvedOutboundClientOptions {
  readonly hosts: readonly ResolvedHostRule[];
  readonly allowAnyPublicHost: boolean;
  readonly privateNetworks: readonly (readonly [ipaddr.IPv4 | ipaddr.IPv6, number])[];
  readonly baseUrl: URL | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly connectTimeoutMs: number;
  readonly headersTimeoutMs: number;
  readonly totalTimeoutMs: number;
  readonly maxResponseBytes: number;
  readonly maxRedirects: number;
  readonly resolver: OutboundResolver | undefined;
  readonly ca: readonly string[] | undefined;
  readonly events: SecurityEvents | undefined;
}

const DEFAULTS = {
  connectTimeoutMs: 5_000,
  headersTimeoutMs: 10_000,
  totalTimeoutMs: 30_000,
  maxResponseBytes: 1024 * 1024,
  maxRedirects: 3,
} as const;

const KNOWN_CLIENT_OPTIONS = new Set<string>([
  'allowedHosts',
  'allowAnyPublicHost',
  'allowPrivateNetworks',
  'baseUrl',
  'headers',
  'resolver',
  'ca',
  'events',
  ...Object.keys(DEFAULTS),
]);

function invalid(message: string): never {
  throw new InvalidOptionsError('OUTBOUND_INVALID_OPTIONS', `OutboundModule: ${message}`);
}

/** A host name as the WHATWG URL parser spells it (lower case, punycode, no trailing dot). */
export function canonicalHost(host: string): string {
  return host.toLowerCase().replace(/\.$/, '');
}

function resolveHostRule(entry: string | OutboundHostRule, where: string): ResolvedHostRule {
  const rule = typeof entry === 'string' ? { host: entry } : entry;
  if (typeof (rule as Partial<OutboundHostRule> | undefined)?.host !== 'string' || rule.host === '')
    invalid(`${where} needs a host.`);
  const wildcard = rule.host.startsWith('*.');
  const bare = wildcard ? rule.host.slice(2) : rule.host;
  let host: string;
  try {
    const url = new URL(`https://${bare}`);
    if (url.port !== '' || url.pathname !== '/' || url.username !== '' || bare.includes('*')) throw new Error();
    host = canonicalHost(url.hostname);
  } catch {
    invalid(`${where} "${rule.host}" is not a host name (write "api.example.com" or "*.example.com").`);
  }
  const pins = rule.pins === undefined ? undefined : new Set(rule.pins);
  for (const pin of pins ?? []) {
    if (Buffer.from(pin, 'base64').length !== 32 || !/^[A-Za-z0-9+/]{43}=$/.test(pin)) {
      invalid(`${where} pin "${pin}" is not a base64 SHA-256 digest (44 characters ending in "=").`);
    }
  }
  if (pins?.size === 0) invalid(`${where} has an empty pins list: omit it, or list at least one pin.`);
  return Object.freeze({ host, wildcard, allowHttp: rule.allowHttp === true, pins });
}

function positiveInteger(name: string, value: number | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min) invalid(`${name} must be an integer ≥ ${min} (got ${value}).`);
  return value;
}

/**
 * Validates one client's options, fills the defaults and freezes them.
 * @throws InvalidOptionsError `OUTBOUND_INVALID_OPTIONS`
 */
export function resolveOutboundClientOptions(
  raw: OutboundClientOptions,
  name = 'client',
): ResolvedOutboundClientOptions {
  for (const key of Object.keys(raw)) {
    if (!KNOWN_CLIENT_OPTIONS.has(key)) invalid(`${name}: unknown option "${key}".`);
  }
  const hosts = (raw.allowedHosts ?? []).map((entry, i) => resolveHostRule(entry, `${name}.allowedHosts[${i}]`));
  const allowAnyPublicHost = raw.allowAnyPublicHost === true;
  if (hosts.length === 0 && !allowAnyPublicHost) {
    invalid(`${name}: list the hosts it may call in allowedHosts (or set allowAnyPublicHost).`);
  }
  if (raw.allowPrivateNetworks?.length && process.env.NODE_ENV === 'production') {
    // The escape re-opens SSRF to the listed ranges: a production app must never carry it.
    invalid(`${name}.allowPrivateNetworks is a test-only escape and is refused with NODE_ENV=production.`);
  }
  const privateNetworks = (raw.allowPrivateNetworks ?? []).map((cidr) => {
    if (!ipaddr.isValidCIDR(cidr))
      invalid(`${name}.allowPrivateNetworks: "${cidr}" is not a CIDR such as 127.0.0.1/32.`);
    return Object.freeze(ipaddr.parseCIDR(cidr));
  });
  let baseUrl: URL | undefined;
  if (raw.baseUrl !== undefined) {
    try {
      baseUrl = new URL(raw.baseUrl);
    } catch {
      invalid(`${name}.baseUrl is not an absolute URL.`);
    }
  }
  if (raw.resolver !== undefined && typeof raw.resolver !== 'function') invalid(`${name}.resolver must be a function.`);
  const ca = raw.ca === undefined ? undefined : typeof raw.ca === 'string' ? [raw.ca] : [...raw.ca];
  return Object.freeze({
    hosts: Object.freeze(hosts),
    allowAnyPublicHost,
    privateNetworks: Object.freeze(privateNetworks),
    baseUrl,
    headers: Object.freeze({ ...raw.headers }),
    connectTimeoutMs: positiveInteger(`${name}.connectTimeoutMs`, raw.connectTimeoutMs, DEFAULTS.connectTimeoutMs),
    headersTimeoutMs: positiveInteger(`${name}.headersTimeoutMs`, raw.headersTimeoutMs, DEFAULTS.headersTimeoutMs),
    totalTimeoutMs: positiveInteger(`${name}.totalTimeoutMs`, raw.totalTimeoutMs, DEFAULTS.totalTimeoutMs),
    maxResponseBytes: positiveInteger(`${name}.maxResponseBytes`, raw.maxResponseBytes, DEFAULTS.maxResponseBytes),
    maxRedirects: positiveInteger(`${name}.maxRedirects`, raw.maxRedirects, DEFAULTS.maxRedirects, 0),
    resolver: raw.resolver,
    ca: ca && Object.freeze(ca),
    events: raw.events,
  });
}
