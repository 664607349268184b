/**
 * Turns a string into the form the detectors match against. Attackers encode payloads so that a
 * filter looking at the raw bytes sees nothing (`%253Cscript%253E`, `&#x3c;`, fullwidth `＜`), while
 * the application, a browser or a database decodes them later; the detectors therefore look at
 * what the payload becomes after every decoding an API commonly applies.
 */

/** Encodings are peeled this many times at most: enough for double and triple encoding, bounded work. */
const MAX_ROUNDS = 3;

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const lower = c | 0x20;
  return lower >= 97 && lower <= 102 ? lower - 87 : -1;
}

function hexAt(s: string, i: number, length: number): number {
  if (i + length > s.length) return -1;
  let value = 0;
  for (let k = i; k < i + length; k++) {
    const digit = hexDigit(s.charCodeAt(k));
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value;
}

/**
 * Lenient UTF-8: overlong forms (`%c0%ae` for `.`, `%c0%af` for `/`) are decoded to the character
 * they spell, as some old decoders did, because that is exactly how traversal filters were evaded.
 * A byte that starts no valid sequence stands for itself (Latin-1).
 */
function decodeBytes(bytes: number[]): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] ?? 0;
    const need = b >= 0xf8 ? 0 : b >= 0xf0 ? 3 : b >= 0xe0 ? 2 : b >= 0xc0 ? 1 : 0;
    if (need === 0 || i + need >= bytes.length) {
      out += String.fromCharCode(b);
      continue;
    }
    let code = b & (0x3f >> need);
    let ok = true;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k] ?? 0;
      if ((c & 0xc0) !== 0x80) {
        ok = false;
        break;
      }
      code = (code << 6) | (c & 0x3f);
    }
    if (!ok || code > 0x10ffff) {
      out += String.fromCharCode(b);
      continue;
    }
    out += String.fromCodePoint(code);
    i += need;
  }
  return out;
}

/** `%XX` (as UTF-8 bytes) and IIS-style `%uXXXX`; malformed escapes are kept as they are. */
export function percentDecode(s: string): string {
  let i = s.indexOf('%');
  if (i < 0) return s;
  // Text between escapes is copied in runs, not character by character: no string per character.
  let out = s.slice(0, i);
  let bytes: number[] = [];
  let run = i;
  for (; i < s.length; i++) {
    if (s.charCodeAt(i) !== 37) continue;
    const byte = hexAt(s, i + 1, 2);
    const unicode = byte < 0 && (s.charAt(i + 1) === 'u' || s.charAt(i + 1) === 'U') ? hexAt(s, i + 2, 4) : -1;
    if (byte < 0 && unicode < 0) continue; // a malformed escape stands for itself
    if (run < i) {
      if (bytes.length) out += decodeBytes(bytes);
      bytes = [];
      out += s.slice(run, i);
    }
    if (byte >= 0) {
      bytes.push(byte);
      i += 2;
    } else {
      if (bytes.length) out += decodeBytes(bytes);
      bytes = [];
      out += String.fromCharCode(unicode);
      i += 5;
    }
    run = i + 1;
  }
  if (bytes.length) out += decodeBytes(bytes);
  return out + s.slice(run);
}

const NAMED_ENTITIES: Readonly<Record<string, string>> = {
  lt: '<',
  gt: '>',
  amp: '&',
  quot: '"',
  apos: "'",
  colon: ':',
  semi: ';',
  tab: '\t',
  newline: '\n',
  lpar: '(',
  rpar: ')',
  sol: '/',
  bsol: '\\',
  period: '.',
  num: '#',
  excl: '!',
  dollar: '$',
  percnt: '%',
  lsqb: '[',
  rsqb: ']',
  lcub: '{',
  rcub: '}',
  equals: '=',
  plus: '+',
  comma: ',',
  grave: '`',
  nbsp: ' ',
  lowbar: '_',
  ast: '*',
  quest: '?',
  vert: '|',
  hat: '^',
};

// Bounded repetitions and no nesting: linear time. Browsers accept numeric references without the
// semicolon and with any number of leading zeros.
const ENTITY = /&(?:#x0*([0-9a-f]{1,6})|#0*([0-9]{1,7})|([a-z]{2,8}));?/gi;

export function decodeHtmlEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(ENTITY, (match, hex: string | undefined, dec: string | undefined, name: string | undefined) => {
    const code = hex !== undefined ? parseInt(hex, 16) : dec !== undefined ? parseInt(dec, 10) : -1;
    if (code >= 0) return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : '';
    return NAMED_ENTITIES[(name ?? '').toLowerCase()] ?? match;
  });
}

const JS_ESCAPE = /\\(?:x([0-9a-f]{2})|u([0-9a-f]{4})|u\{([0-9a-f]{1,6})\})/gi;

/** `\x3c`, `\u003c`, `\u{3c}`: how payloads are smuggled into JavaScript and JSON-in-string contexts. */
export function decodeJsEscapes(s: string): string {
  if (!s.includes('\\')) return s;
  return s.replace(JS_ESCAPE, (_m, x: string | undefined, u: string | undefined, braced: string | undefined) => {
    const code = parseInt(x ?? u ?? braced ?? '0', 16);
    return code <= 0x10ffff ? String.fromCodePoint(code) : '';
  });
}

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const NON_ASCII_OR_NUL = /[^\x01-\x7f]/;

/**
 * Decodes (URL, HTML entities, JS escapes) until the string stops changing or the bound is hit,
 * applies Unicode NFKC (fullwidth and compatibility characters become ASCII, as many back ends
 * fold them), drops NUL bytes (`..%00/`, `<scr%00ipt>`) and lower-cases.
 */
export function normalize(input: string): string {
  let s = input;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const next = decodeJsEscapes(decodeHtmlEntities(percentDecode(s)));
    if (next === s) break;
    s = next;
  }
  if (NON_ASCII_OR_NUL.test(s)) s = s.normalize('NFKC').replaceAll('\0', '');
  return s.toLowerCase();
}
