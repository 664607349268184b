import sanitize from 'sanitize-html';

/** What `@SanitizeHtml()` lets through. @publicApi */
export interface HtmlAllowlist {
  /** @default ['b', 'i', 'em', 'strong', 'a'] */
  allowedTags?: readonly string[];
  /** Attributes by tag. @default { a: ['href'] } */
  allowedAttributes?: Readonly<Record<string, readonly string[]>>;
  /** URL schemes allowed in `href`/`src`; relative and protocol-relative URLs are dropped. @default ['http', 'https', 'mailto'] */
  allowedSchemes?: readonly string[];
}

const DEFAULT_ALLOWLIST: Required<HtmlAllowlist> = {
  allowedTags: ['b', 'i', 'em', 'strong', 'a'],
  allowedAttributes: { a: ['href'] },
  allowedSchemes: ['http', 'https', 'mailto'],
};

/** sanitize-html options for an allowlist: built once per decorator, not per value. */
export function htmlSanitizerOptions(allowlist: HtmlAllowlist = {}): sanitize.IOptions {
  const merged = { ...DEFAULT_ALLOWLIST, ...allowlist };
  return {
    allowedTags: [...merged.allowedTags],
    allowedAttributes: Object.fromEntries(
      Object.entries(merged.allowedAttributes).map(([tag, attributes]) => [tag, [...attributes]]),
    ),
    allowedSchemes: [...merged.allowedSchemes],
    allowedSchemesByTag: {},
    allowedSchemesAppliedToAttributes: ['href', 'src', 'cite', 'action', 'formaction'],
    // "//evil.example" has no scheme to check: refuse it with the rest.
    allowProtocolRelative: false,
    // Tags outside the list go, their text stays; script/style/textarea… go with their content.
    disallowedTagsMode: 'discard',
  };
}

/**
 * HTML with only the allowlisted tags, attributes and link schemes left (sanitize-html).
 * `javascript:` / `data:` / `vbscript:` links lose their `href`; `<script>` goes with its content.
 * @publicApi
 * @example
 * sanitizeHtml('<script>alert(1)</script><b>hi</b>') // '<b>hi</b>'
 */
export function sanitizeHtml(html: string, allowlist?: HtmlAllowlist): string {
  return sanitize(html, allowlist ? htmlSanitizerOptions(allowlist) : DEFAULT_OPTIONS);
}

const DEFAULT_OPTIONS = htmlSanitizerOptions();
const NO_TAGS: sanitize.IOptions = { allowedTags: [], allowedAttributes: {}, disallowedTagsMode: 'discard' };

/**
 * The text of `html`, every tag removed. The result is safe HTML text: `&`, `<` and `>` are
 * entity-encoded, so `Tom & Jerry` becomes `Tom &amp; Jerry` (decoding it would turn
 * `&lt;script&gt;` back into markup).
 * @publicApi
 * @example
 * stripHtml('<i>Ada</i>') // 'Ada'
 */
export function stripHtml(html: string): string {
  return sanitize(html, NO_TAGS);
}

/** Control characters (C0, DEL, C1) and the bidi overrides used to disguise text (Trojan Source). */
/* eslint-disable no-control-regex -- matching control characters is the point */
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/g;
const CONTROL_AND_BREAKS = /[\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/g;
/* eslint-enable no-control-regex */

/** Options of {@link normalizeUnicode}. @publicApi */
export interface NormalizeUnicodeOptions {
  /** Keep `\t`, `\n` and `\r` (multi-line text). @default false */
  allowLineBreaks?: boolean;
}

/**
 * NFC-normalised text without control characters or bidi overrides, so that two strings that
 * look the same compare the same, and no invisible character hides in a name or a log line.
 * @publicApi
 * @example
 * normalizeUnicode('Cafe\u0301\u0000') // 'Café'
 */
export function normalizeUnicode(text: string, options: NormalizeUnicodeOptions = {}): string {
  return text.normalize('NFC').replace(options.allowLineBreaks ? CONTROL : CONTROL_AND_BREAKS, '');
}
