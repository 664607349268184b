import { embeddedIpv4, isNonPublicIp } from '@rampart/core';
import { isIP } from 'node:net';
import type { Detector } from './types';

/**
 * SSRF targets in URL-like input: cloud metadata endpoints, loopback, private and link-local
 * ranges, and schemes that reach other protocols (`file:`, `gopher:`, `dict:`…). URLs are read by
 * the WHATWG parser, the one Node's `fetch` uses, so every spelling the fetcher would accept is
 * seen as the address it reaches: `http://2130706433/`, `http://0x7f.1/`, `http://0177.0.0.1/`,
 * `http://[::ffff:127.0.0.1]/`, `http://evil@127.0.0.1/`.
 */

const DANGEROUS_SCHEMES = new Set([
  'file',
  'gopher',
  'dict',
  'ldap',
  'ldaps',
  'tftp',
  'jar',
  'netdoc',
  'php',
  'expect',
  'phar',
  'smb',
  'sftp',
  'jdbc',
]);

const METADATA_HOSTS = new Set([
  '169.254.169.254',
  '169.254.170.2',
  '100.100.100.200',
  'fd00:ec2::254',
  'metadata.google.internal',
  'metadata.goog',
  'metadata',
  'instance-data',
  'metadata.azure.internal',
]);
/**
 * Public names that resolve to loopback or to whatever address they spell, and names only an
 * internal resolver answers: Kubernetes services (`kubernetes.default`, `*.svc`,
 * `*.svc.cluster.local`), Consul, Docker's `host.docker.internal`, the hosts-file loopback aliases.
 */
const REBINDING_DOMAIN =
  /(?:^|\.)(?:localhost|localtest\.me|lvh\.me|vcap\.me|nip\.io|sslip\.io|xip\.io|traefik\.me|localdomain|internal|local|kubernetes\.default|svc|cluster\.local|consul|ip6-localhost|ip6-loopback|ipv6-localhost|localhost[46])$/;
const LOOPBACK_HOST = /^(?:localhost|127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1)$/;

function classifyHost(rawHost: string): string | undefined {
  const host = rawHost.replace(/^\[|\]$/g, '').replace(/\.$/, '');
  if (host === '') return undefined;
  if (METADATA_HOSTS.has(host)) return 'ssrf.metadata';
  const v4 = isIP(host) === 6 ? embeddedIpv4(host) : undefined;
  if (v4 !== undefined && METADATA_HOSTS.has(v4)) return 'ssrf.metadata';
  // Core's one list of non-public ranges, IPv4 reached through IPv6 included.
  const nonPublic = isNonPublicIp(host);
  if (nonPublic !== undefined) return nonPublic ? 'ssrf.internal_address' : undefined;
  return REBINDING_DOMAIN.test(host) ? 'ssrf.internal_name' : undefined;
}

/**
 * The hosts a lenient parser may read in the raw authority (curl, Python's urllib, Go's
 * net/url disagree with WHATWG on `\\@` and on several `@`): every piece between `@` and `\\`,
 * without its port. `http://allowed.example\\@127.0.0.1/` is `allowed.example` to WHATWG and
 * 127.0.0.1 to other fetchers; `http://a@b@10.0.0.1/` likewise.
 */
const RAW_AUTHORITY = /^[a-z][a-z0-9+.-]{0,15}:\/\/([^/?#\s]{1,256})/;
function authorityPieces(candidate: string): string[] {
  const authority = RAW_AUTHORITY.exec(candidate)?.[1];
  if (authority === undefined || !/[@\\]/.test(authority)) return [];
  return authority.split(/[@\\]/).map((piece) => piece.replace(/:\d{0,5}$/, ''));
}

/** The host a URL reaches, for the loopback test below ('' when it is not a URL). */
function hostOf(candidate: string): string {
  try {
    return new URL(candidate.startsWith('//') ? `http:${candidate}` : candidate).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return '';
  }
}

function inspectUrl(candidate: string): string | undefined {
  const colon = candidate.indexOf(':');
  const scheme = colon > 0 ? candidate.slice(0, colon) : '';
  if (DANGEROUS_SCHEMES.has(scheme)) return 'ssrf.scheme';
  let url: URL;
  try {
    url = new URL(candidate.startsWith('//') ? `http:${candidate}` : candidate);
  } catch {
    return undefined;
  }
  const rule = classifyHost(url.hostname);
  if (rule) return rule;
  // Parsers disagree on `http://127.0.0.1:80\@evil.com`: a host before the userinfo counts too.
  if (url.username) {
    const before = classifyHost(url.username);
    if (before) return before;
  }
  for (const piece of authorityPieces(candidate)) {
    const confused = classifyHost(piece);
    if (confused) return confused;
  }
  return undefined;
}

/**
 * Keys whose value is a place a browser is sent to, not a URL the server fetches: OAuth and OIDC
 * redirects, post-login destinations, referrers. A loopback URL there is legitimate (RFC 8252
 * §7.3: native apps receive the authorization code on `http://127.0.0.1:<port>/`; a developer's
 * `http://localhost:3000` referrer), so loopback alone is not SSRF under these keys whatever the
 * route's policy; metadata endpoints, other internal targets and odd schemes still are.
 */
const NAVIGATION_KEY =
  /^(?:redirect_uri|redirect_url|redirecturi|redirecturl|post_logout_redirect_uri|return_to|returnto|return_url|returnurl|next|continue|referrer|referer|ref|origin|success_url|cancel_url)$/;

/** Whether values under `name` are browser destinations (NAVIGATION_KEY): the verdict depends on it. */
export function isNavigationKey(name: string): boolean {
  return NAVIGATION_KEY.test(name);
}

/** Keys whose values are fetched by servers: webhooks, callbacks, imports, previews. */
const URL_KEY =
  /url|uri|host|callback|webhook|redirect|target|dest|endpoint|link|src|domain|server|proxy|feed|image|avatar|icon|fetch|import/;

/** Whether values under `name` (lower-cased) are URLs or hosts a server fetches: SSRF reads bare host names there. */
export function isUrlKey(name: string): boolean {
  return URL_KEY.test(name);
}
const HOST_LIKE = /^[a-z0-9.\-[\]:]+(?::\d{1,5})?(?:[/?#]\S*)?$/;
const URL_START = /[a-z][a-z0-9+.-]{0,15}:\/\/|^\/\/|(?:file|netdoc|php|expect|phar):[/\\]|jar:[a-z]/g;
const MAX_URLS = 8;

export const detectSsrf: Detector = (text, context) => {
  if (context.isKey) return undefined;
  const candidates: string[] = [];
  if (text.includes(':') || text.startsWith('//')) {
    URL_START.lastIndex = 0;
    let match: RegExpExecArray | null;
    while ((match = URL_START.exec(text)) !== null && candidates.length < MAX_URLS) {
      let end = match.index;
      while (end < text.length && !' \t\r\n"\'<>`'.includes(text.charAt(end))) end++;
      candidates.push(text.slice(match.index, end));
      URL_START.lastIndex = Math.max(end, match.index + 1);
    }
  }
  if (candidates.length === 0 && isUrlKey(context.name) && HOST_LIKE.test(text.trim())) {
    candidates.push(`http://${text.trim()}`);
  }
  const navigation = isNavigationKey(context.name);
  for (const candidate of candidates) {
    const rule = inspectUrl(candidate);
    if (
      rule &&
      navigation &&
      rule !== 'ssrf.metadata' &&
      rule !== 'ssrf.scheme' &&
      LOOPBACK_HOST.test(hostOf(candidate))
    )
      continue;
    // Proxies put internal names and addresses in headers (`X-Forwarded-Host: localhost:3000`, a
    // dev Referer); only targets no legitimate header names count there: metadata, odd schemes.
    if (rule && (context.source !== 'header' || rule === 'ssrf.metadata' || rule === 'ssrf.scheme')) {
      return { rule, severity: 'critical' };
    }
  }
  return undefined;
};
