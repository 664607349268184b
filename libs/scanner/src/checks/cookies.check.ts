import { resolve, type Check, type ScanContext } from '../context';
import type { Finding } from '../findings';
import type { SeenCookie } from '../http';

/** What {@link cookieRules} returns per problem. @publicApi */
export type CookieRule = Pick<Finding, 'rule' | 'severity' | 'message'>;

/** A `Set-Cookie` header read as RFC 6265 §5.2 does: the pair, then attributes by case-insensitive name. */
interface ParsedCookie {
  name: string;
  attributes: Map<string, string>;
}

function parseSetCookie(header: string): ParsedCookie {
  const [pair = '', ...parts] = header.split(';');
  const eq = pair.indexOf('=');
  const attributes = new Map<string, string>();
  for (const part of parts) {
    const at = part.indexOf('=');
    const name = (at < 0 ? part : part.slice(0, at)).trim().toLowerCase();
    // The last occurrence wins (§5.3), as in browsers.
    if (name) attributes.set(name, at < 0 ? '' : part.slice(at + 1).trim());
  }
  return { name: (eq < 0 ? '' : pair.slice(0, eq)).trim(), attributes };
}

/** Names that carry a login: who holds one is the user. */
const SESSION_NAME = /sess|sid|auth|token|jwt|login|remember|identity/i;
/** Double-submit CSRF tokens are read by the page's script on purpose: HttpOnly would break them. */
const SCRIPT_READABLE_NAME = /csrf|xsrf/i;

/** A cookie sent to remove another (Max-Age ≤ 0 or an Expires in the past) carries nothing to protect. */
function isRemoval(cookie: ParsedCookie): boolean {
  const maxAge = cookie.attributes.get('max-age');
  if (maxAge !== undefined && /^-?\d+$/.test(maxAge)) return Number(maxAge) <= 0;
  const expires = cookie.attributes.get('expires');
  return expires !== undefined && Date.parse(expires) < Date.now();
}

/** The header with the cookie's value masked: a report must not hand out a live session. */
export function redactCookie(header: string): string {
  return header.replace(/^([^=;]*)=[^;]*/, '$1=…');
}

/**
 * What is wrong with one `Set-Cookie` header from an answer over `https` (or not): the Secure,
 * HttpOnly and SameSite flags, a Domain that shares a session with every subdomain, and the
 * `__Secure-`/`__Host-` prefix rules browsers enforce (RFC 6265bis §4.1.3). A missing Secure is
 * reported on HTTPS answers only: over plain HTTP no cookie can be Secure (the transport check
 * reports the plain HTTP itself). Usable on its own, e.g. on the cookie your login answer sets.
 * @publicApi
 * @example
 * expect(cookieRules(res.headers['set-cookie'][0], true)).toEqual([]);
 */
export function cookieRules(header: string, https: boolean): CookieRule[] {
  const cookie = parseSetCookie(header);
  if (!cookie.name || isRemoval(cookie)) return [];
  const a = cookie.attributes;
  const session = SESSION_NAME.test(cookie.name);
  const what = session ? `Session cookie ${cookie.name}` : `Cookie ${cookie.name}`;
  const rules: CookieRule[] = [];
  const sameSite = a.get('samesite')?.toLowerCase();
  if (https && !a.has('secure')) {
    rules.push({
      rule: 'cookies/missing-secure',
      severity: session ? 'high' : 'medium',
      message: `${what} has no Secure flag: the browser also sends it over plain HTTP, where anyone on the path reads it.`,
    });
  }
  if (!a.has('httponly') && !SCRIPT_READABLE_NAME.test(cookie.name)) {
    rules.push({
      rule: 'cookies/missing-httponly',
      severity: session ? 'medium' : 'low',
      message: `${what} has no HttpOnly flag: any script injected into a page of this site can read it.`,
    });
  }
  if (sameSite === undefined) {
    rules.push({
      rule: 'cookies/missing-samesite',
      severity: session ? 'medium' : 'low',
      message: `${what} has no SameSite attribute: browsers that do not default to Lax send it on cross-site requests (CSRF). Set SameSite=Lax or Strict.`,
    });
  } else if (sameSite === 'none' && !a.has('secure')) {
    rules.push({
      rule: 'cookies/samesite-none-insecure',
      severity: 'medium',
      message: `${what} is SameSite=None without Secure: browsers reject it.`,
    });
  } else if (sameSite === 'none' && session) {
    rules.push({
      rule: 'cookies/samesite-none',
      severity: 'low',
      message: `${what} is SameSite=None: every site can make the browser send it (CSRF); use Lax unless a cross-site embed needs it.`,
    });
  }
  if (session && a.get('domain')) {
    rules.push({
      rule: 'cookies/broad-domain',
      severity: 'medium',
      message: `${what} sets Domain=${a.get('domain') ?? ''}: every subdomain receives it and can set one in its place. Leave Domain out (host-only), ideally with the __Host- prefix.`,
    });
  }
  const prefixBroken = (need: string): void => {
    rules.push({
      rule: 'cookies/invalid-prefix',
      severity: 'medium',
      message: `${what}: its prefix requires ${need}, so browsers reject it.`,
    });
  };
  if (/^__secure-/i.test(cookie.name) && (!a.has('secure') || !https)) prefixBroken('Secure, set over HTTPS');
  if (/^__host-/i.test(cookie.name) && (!a.has('secure') || !https || a.has('domain') || a.get('path') !== '/')) {
    prefixBroken('Secure, set over HTTPS, no Domain and Path=/');
  }
  return rules;
}

/** Reports what is wrong with each distinct cookie seen, once per cookie. */
export function reportCookies(ctx: ScanContext, seen: Iterable<SeenCookie>): void {
  for (const { header, method, url } of seen) {
    for (const rule of cookieRules(header, url.startsWith('https:'))) {
      ctx.report({ ...rule, method, url, evidence: redactCookie(header) });
    }
  }
}

/**
 * Cookies from every answer of the scan (the checks before this one), plus the base URL and each
 * public GET operation (login pages, consent screens set theirs without credentials).
 */
export const cookiesCheck: Check = {
  name: 'cookies',
  async run(ctx) {
    await ctx.http.send('GET', ctx.base.href);
    for (const operation of ctx.operations ?? []) {
      if (operation.method === 'GET' && !operation.secured)
        await ctx.http.send('GET', resolve(ctx.base, operation.path));
    }
    reportCookies(ctx, ctx.http.seenCookies.values());
  },
};
