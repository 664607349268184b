import type { Detector } from './types';

/**
 * CRLF injection: a line break followed by a header line, which splits an HTTP response or adds
 * headers (`%0d%0aSet-Cookie:`) or recipients (`%0aBcc:`). In free-text bodies a new line that
 * starts "Location: London" is prose, so bodies count only headers that no letter contains; in the
 * URL and headers any header line after a line break counts (neither carries multi-line text).
 */
const STRONG_HEADERS =
  /[\r\n][\t ]*(?:set-cookie|content-length|transfer-encoding|x-xss-protection|access-control-allow-[a-z-]+|content-security-policy|x-forwarded-(?:for|host)|bcc|http\/[0-9.]+\s+\d{3})\s*:?/;
/** Response headers worth injecting; outside bodies, a line starting with one is an injection. */
const HTTP_HEADER =
  /[\r\n][\t ]*(?:location|refresh|content-[a-z-]+|set-cookie2?|cache-control|pragma|expires|vary|link|x-[a-z-]+|access-control-[a-z-]+|strict-transport-security|www-authenticate|authorization|cookie|host|server|connection|keep-alive|upgrade|cc|to|from|subject|reply-to|etag|last-modified|age|via|warning|p3p)[\t ]*:/;

/** In a body, a header line counts when it follows nothing or a URL/path-like token, not prose. */
function injectedAfterToken(text: string): boolean {
  const end = text.search(/[\r\n]/);
  const before = text.slice(0, end);
  return before === '' || (!/\s/.test(before) && /[/.=@%]/.test(before));
}

export const detectCrlfInjection: Detector = (text, context) => {
  if (!text.includes('\n') && !text.includes('\r')) return undefined;
  if (STRONG_HEADERS.test(text)) return { rule: 'crlf_injection.header', severity: 'critical' };
  if (HTTP_HEADER.test(text) && (context.source !== 'body' || injectedAfterToken(text))) {
    return { rule: 'crlf_injection.header', severity: 'critical' };
  }
  if (context.source !== 'body') return { rule: 'crlf_injection.line_break', severity: 'medium', paranoia: 2 };
  return undefined;
};
