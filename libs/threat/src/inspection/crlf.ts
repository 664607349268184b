import type { Detector } from './types';

/**
 * CRLF injection: a line break followed by a header line, which splits an HTTP response or adds
 * headers (`%0d%0aSet-Cookie:`) or recipients (`%0aBcc:`), a request line (request smuggling), or
 * a forged log line (log forging: `alice%0a2024-05-01 INFO admin logged in`). Line breaks include
 * the Unicode ones some loggers and terminals honour (NEL U+0085, LINE/PARAGRAPH SEPARATOR
 * U+2028/U+2029). In free-text bodies a new line that starts "Location: London" is prose, so
 * bodies count only headers that no letter contains, or a header or log line right after a single
 * token (a user name, a path: nothing prose-like before the break); in the URL and headers any
 * header or log line after a line break counts (neither carries multi-line text).
 */
const BREAK = '[\\r\\n\\u0085\\u2028\\u2029]';
const STRONG_HEADERS = new RegExp(
  `${BREAK}[\\t ]*(?:set-cookie|content-length|transfer-encoding|x-xss-protection|access-control-allow-[a-z-]+|content-security-policy|x-forwarded-(?:for|host)|bcc|http\\/[0-9.]+\\s+\\d{3})\\s*:?`,
);
/** A request line after a break: a second request smuggled into the first. */
const REQUEST_LINE = new RegExp(
  `${BREAK}[\\t ]*(?:get|post|put|patch|delete|head|options|connect|trace) +(?:\\S{1,2048} +http\\/\\d|\\/|$)`,
);
/** Response headers worth injecting; outside bodies, a line starting with one is an injection. */
const HTTP_HEADER = new RegExp(
  `${BREAK}[\\t ]*(?:location|refresh|content-[a-z-]+|set-cookie2?|cache-control|pragma|expires|vary|link|x-[a-z-]+|access-control-[a-z-]+|strict-transport-security|www-authenticate|authorization|cookie|host|server|connection|keep-alive|upgrade|cc|to|from|subject|reply-to|etag|last-modified|age|via|warning|p3p|remote-addr)[\\t ]*:`,
);
/**
 * The start of a log line: an ISO or common-log timestamp, an IP followed by `- -`, a level in
 * brackets or followed by `:`/`=`/a key=value, `level=`, or a JSON log record.
 */
const LOG_LINE = new RegExp(
  `${BREAK}[\\t ]*(?:\\d{4}-\\d\\d-\\d\\d(?![0-9])|\\d{1,3}(?:\\.\\d{1,3}){3} +- +|\\[(?:info|warn|warning|error|debug|trace|fatal|audit|notice|crit)\\]|(?:info|warn|warning|error|debug|trace|fatal|audit|notice|crit)(?:[\\t ]*[:=]|[\\t ]+[a-z_]+=)|level[\\t ]*[=:]|\\{[\\t ]*"(?:level|msg|message|time|ts)"[\\t ]*:)`,
);
const FIRST_BREAK = new RegExp(BREAK);

/** Whether the text before the first line break is empty or one token (no space): a value, not prose. */
function singleTokenBefore(text: string): boolean {
  const end = text.search(FIRST_BREAK);
  return !/\s/.test(text.slice(0, end));
}

export const detectCrlfInjection: Detector = (text, context) => {
  if (!FIRST_BREAK.test(text)) return undefined;
  if (STRONG_HEADERS.test(text) || REQUEST_LINE.test(text))
    return { rule: 'crlf_injection.header', severity: 'critical' };
  const body = context.source === 'body';
  if (HTTP_HEADER.test(text) && (!body || singleTokenBefore(text))) {
    return { rule: 'crlf_injection.header', severity: 'critical' };
  }
  if (LOG_LINE.test(text) && (!body || singleTokenBefore(text))) {
    return { rule: 'crlf_injection.log_forging', severity: 'critical' };
  }
  if (!body) return { rule: 'crlf_injection.line_break', severity: 'medium', paranoia: 2 };
  return undefined;
};
