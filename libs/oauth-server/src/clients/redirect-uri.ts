/**
 * Loopback redirect URIs of native apps (RFC 8252 §7.3): an IP literal, any port. `localhost` is
 * not one of them (§8.3: it may resolve elsewhere), so it gets no port flexibility.
 */
const LOOPBACK = /^http:\/\/(127\.0\.0\.1|\[::1\])(?::(\d{1,5}))?([/?#].*)?$/;

/** The URI with its loopback port removed, or undefined when it is not a loopback IP URI. */
function withoutLoopbackPort(uri: string): string | undefined {
  const match = LOOPBACK.exec(uri);
  if (!match) return undefined;
  if (match[2] !== undefined && Number(match[2]) > 65_535) return undefined;
  return `http://${match[1]}${match[3] ?? ''}`;
}

/**
 * Whether `requested` is one of `registered`: exact string comparison (RFC 9700 §4.1.3, OAuth 2.1
 * §2.3.1), no prefix, no normalisation, no wildcard. For a native client only, the port of a
 * loopback IP URI may differ (RFC 8252 §7.3): it listens on whatever port the OS gives it. A web
 * client gets none of that: any local program could listen on another port and take its codes.
 */
export function matchRedirectUri(
  requested: string,
  registered: readonly string[],
  applicationType: 'web' | 'native',
): string | undefined {
  if (registered.includes(requested)) return requested;
  if (applicationType !== 'native') return undefined;
  const portless = withoutLoopbackPort(requested);
  if (portless === undefined) return undefined;
  return registered.find((uri) => withoutLoopbackPort(uri) === portless) === undefined ? undefined : requested;
}

export function isLoopbackHost(hostname: string): boolean {
  return hostname === '127.0.0.1' || hostname === '[::1]' || hostname === 'localhost';
}

/**
 * Why a URI cannot be registered as a redirect URI, or undefined. `http` only for loopback (OAuth
 * 2.1 §2.3.1); no fragment (RFC 6749 §3.1.2); private-use schemes of native apps must be
 * reverse-domain names (RFC 8252 §7.1) so no two apps claim the same one.
 */
export function redirectUriProblem(uri: string): string | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return 'is not an absolute URI';
  }
  if (url.hash !== '' || uri.includes('#')) return 'has a fragment';
  if (url.username !== '' || url.password !== '') return 'has user information';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:') return isLoopbackHost(url.hostname) ? undefined : 'uses http for a non-loopback host';
  if (/^[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+:$/.test(url.protocol)) return undefined;
  return 'uses a scheme that is neither https, loopback http nor a reverse-domain private-use scheme';
}
