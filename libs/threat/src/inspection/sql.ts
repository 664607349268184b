import type { Detector, RuleMatch } from './types';

/**
 * SQL injection by structure, after libinjection: the input is tokenised as SQL would tokenise it
 * and reduced to a fingerprint, one character per token, and the fingerprint is matched against
 * shapes that only injected SQL has. Words alone never match: "please update my card", "drop me a
 * line" and "union select committee" have no SQL structure; `1 or 1=1`, `' union select` and
 * `'; drop table` do. The input is read in the contexts it may be injected into: as is (a number or
 * an identifier) and after a quote that closes a string literal (`admin'--`).
 *
 * Fingerprint alphabet:
 *   n number/null/true   s string   b identifier   v @@variable   f dangerous function(   g SQL function(
 *   E select   U union   F from   W where   T statement (drop table, delete from, insert into, update…set)
 *   K clause (order by, group by, having, limit, into, procedure)   w waitfor delay
 *   & and/or/xor/&&/||   o comparison (= < > like in is between regexp)   a arithmetic   ! not
 *   ( ) , ; .   c comment   x other punctuation
 */

/**
 * SQL functions suspicious only inside SQL structure (token `g`). Those whose call alone is an
 * attack are in ALWAYS_DANGEROUS (token `f`), which is checked first, so they are not repeated here.
 */
const DANGEROUS_FUNCTIONS = new Set([
  'get_host_name',
  'request',
  'randomblob',
  'lo_export',
  'geometrycollection',
  'multipoint',
  'polygon',
  'linestring',
  'exp',
  'json_keys',
  'uuid_to_bin',
  'make_set',
  'elt',
  'ctxsys',
  'opendatasource',
  'convert',
  'cast',
  'char',
  'chr',
  'nchar',
  'concat',
  'concat_ws',
  'group_concat',
  'string_agg',
  'version',
  'database',
  'schema',
  'user',
  'current_user',
  'session_user',
  'system_user',
  'user_name',
  'db_name',
  'host_name',
  'suser_name',
  'is_srvrolemember',
  'substring',
  'substr',
  'mid',
  'ascii',
  'unicode',
  'ord',
  'hex',
  'unhex',
  'if',
  'iif',
  'ifnull',
  'isnull',
  'nullif',
  'coalesce',
  'length',
  'len',
  'count',
  'md5',
  'sha1',
  'rand',
  'floor',
  'row',
  'instr',
  'locate',
  'position',
  'left',
  'right',
  'reverse',
  'replace',
  'lower',
  'upper',
  'trim',
  'cot',
  'abs',
  'now',
  'sysdate',
  'current_database',
  'pg_database',
  'to_char',
  'dbms_xmlgen',
  'xmltype',
  'json_extract',
  'sqlite_version',
  'last_insert_rowid',
  'typeof',
  'exec',
  'execute',
  'sp_executesql',
  'waitfor',
  'regexp_substring',
  'analyse', // MySQL's PROCEDURE ANALYSE(): an error-based injection point after a value
]);
/** Functions whose call alone is an attack (time delays, file reads, out-of-band requests). */
const ALWAYS_DANGEROUS = new Set([
  'sleep',
  'benchmark',
  'pg_sleep',
  'load_file',
  'extractvalue',
  'updatexml',
  'xp_cmdshell',
  'xp_dirtree',
  'receive_message',
  'get_host_address',
  'dbms_pipe',
  'pg_read_file',
  'lo_import',
  'sys_eval',
  'sys_exec',
  'utl_inaddr',
  'utl_http',
  'openrowset',
  'name_const',
  'gtid_subset',
  'load_extension',
]);

/**
 * Token types of SQL words. A Map, not an object literal: `constructor` or `__proto__` read from an
 * object would be Object's own members, not a miss (`constructor or 1=1` passed as a function token).
 */
const WORDS: ReadonlyMap<string, string> = new Map([
  ['select', 'E'],
  ['union', 'U'],
  ['from', 'F'],
  ['where', 'W'],
  ['and', '&'],
  ['or', '&'],
  ['xor', '&'],
  ['not', '!'],
  ['like', 'o'],
  ['rlike', 'o'],
  ['regexp', 'o'],
  ['is', 'o'],
  ['in', 'o'],
  ['between', 'o'],
  ['sounds', 'o'],
  ['glob', 'o'],
  ['div', 'a'],
  ['mod', 'a'],
  ['null', 'n'],
  ['true', 'n'],
  ['false', 'n'],
  ['having', 'K'],
  ['limit', 'K'],
  ['offset', 'K'],
  ['procedure', 'K'],
  ['into', 'K'],
]);
const MODIFIERS = new Set(['all', 'distinct', 'top', 'binary']);
const DROP_OBJECTS = new Set([
  'table',
  'database',
  'schema',
  'view',
  'index',
  'procedure',
  'function',
  'trigger',
  'user',
  'login',
  'column',
  'temporary',
]);

/** What `grant`/`revoke` take (`all` is a modifier, skipped): "grant privileges on", "grant select on". */
const GRANTABLE = new Set([
  'privileges',
  'select',
  'insert',
  'update',
  'delete',
  'execute',
  'usage',
  'create',
  'alter',
  'drop',
]);

/**
 * Whether `s[start, end)` is a numeric literal: `0x…`, `0b…`, digits with an optional fraction
 * and exponent (what `/^(?:0x[0-9a-f]*|0b[01]*|[0-9]+(?:\.[0-9]*)?(?:e[0-9]+)?)$/` accepts),
 * read in place so that no substring is built per number.
 */
function isNumber(s: string, start: number, end: number): boolean {
  const second = start + 1 < end ? s.charCodeAt(start + 1) : -1;
  if (s.charCodeAt(start) === 48 && (second === 120 || second === 98)) {
    const binary = second === 98;
    for (let i = start + 2; i < end; i++) {
      const c = s.charCodeAt(i);
      if (binary ? c !== 48 && c !== 49 : !isDigit(c) && !(c >= 97 && c <= 102)) return false;
    }
    return true;
  }
  let i = start;
  while (i < end && isDigit(s.charCodeAt(i))) i++;
  if (i < end && s.charCodeAt(i) === 46) {
    i++;
    while (i < end && isDigit(s.charCodeAt(i))) i++;
  }
  if (i < end && s.charCodeAt(i) === 101) {
    const digits = ++i;
    while (i < end && isDigit(s.charCodeAt(i))) i++;
    if (i === digits) return false;
  }
  return i === end;
}

/** Far beyond any real value; only a guard against pathological memory use. */
const MAX_TOKENS = 100_000;

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isWordChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95 || c === 36 || (c >= 65 && c <= 90) || c > 127;
}
function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13) || c === 160;
}

/**
 * The tokens of the input being read, as two parallel arrays (type, and the word for words)
 * reused by every call: detection is synchronous, and one object per token was most of the
 * tokenizer's cost on prose. Valid until the next call of sqlTokens.
 */
const types: string[] = [];
const words: string[] = [];

function push(count: number, type: string, word: string): number {
  types[count] = type;
  words[count] = word;
  return count + 1;
}

/** Tokenises `s` (lower-case) into at most MAX_TOKENS tokens in `types`/`words`; returns the count. Linear. */
function sqlTokens(s: string): number {
  let count = 0;
  const n = s.length;
  let i = 0;
  while (i < n && count < MAX_TOKENS) {
    const c = s.charCodeAt(i);
    if (isSpace(c)) {
      i++;
      continue;
    }
    if (c === 39 || c === 34 || c === 96) {
      // ' " `
      let j = i + 1;
      while (j < n) {
        const d = s.charCodeAt(j);
        if (d === 92) j += 2;
        else if (d === c) {
          if (s.charCodeAt(j + 1) === c) j += 2;
          else break;
        } else j++;
      }
      count = push(count, c === 96 ? 'b' : 's', '');
      i = j + 1;
      continue;
    }
    const next = s.charCodeAt(i + 1);
    if ((c === 45 && next === 45) || c === 35) {
      // -- and # comment to the end of the line
      count = push(count, 'c', '');
      const eol = s.indexOf('\n', i);
      i = eol < 0 ? n : eol + 1;
      continue;
    }
    if (c === 47 && next === 42) {
      if (s.charCodeAt(i + 2) === 33) {
        // MySQL executes the body of a versioned comment (/*!50000union*/): read it as code.
        i += 3;
        while (i < n && isDigit(s.charCodeAt(i))) i++;
        continue;
      }
      const close = s.indexOf('*/', i + 2);
      if (close < 0) {
        count = push(count, 'c', '');
        i = n;
      } else {
        i = close + 2; // an inline comment is whitespace to SQL: /**/or/**/1=1
      }
      continue;
    }
    if (c === 42 && next === 47) {
      i += 2;
      continue;
    }
    if (c === 64) {
      // @var, @@var
      let j = i + 1;
      if (s.charCodeAt(j) === 64) j++;
      const start = j;
      while (j < n && isWordChar(s.charCodeAt(j))) j++;
      count = push(count, j > start ? 'v' : 'x', '');
      i = Math.max(j, i + 1);
      continue;
    }
    if (isDigit(c)) {
      let j = i + 1;
      while (j < n && (isWordChar(s.charCodeAt(j)) || s.charCodeAt(j) === 46)) j++;
      // 0x41, 1.5, 1e3 are numbers; 1st, 5pm, 3d are words (prose and ids, never SQL operands).
      // No word is kept: none of the statement words fingerprint() looks for starts with a digit.
      count = push(count, isNumber(s, i, j) ? 'n' : 'b', '');
      i = j;
      continue;
    }
    if (c === 46 && isDigit(next)) {
      let j = i + 1;
      while (j < n && isDigit(s.charCodeAt(j))) j++;
      count = push(count, 'n', '');
      i = j;
      continue;
    }
    if (isWordChar(c)) {
      let j = i + 1;
      while (j < n && (isWordChar(s.charCodeAt(j)) || (s.charCodeAt(j) === 46 && isWordChar(s.charCodeAt(j + 1))))) j++;
      const word = s.slice(i, j);
      i = j;
      if (MODIFIERS.has(word)) continue;
      let k = i;
      while (k < n && isSpace(s.charCodeAt(k))) k++;
      if (s.charCodeAt(k) === 40) {
        const last = word.slice(word.lastIndexOf('.') + 1);
        const type = ALWAYS_DANGEROUS.has(last) ? 'f' : DANGEROUS_FUNCTIONS.has(last) ? 'g' : (WORDS.get(word) ?? 'h');
        count = push(count, type, word);
        continue;
      }
      count = push(count, WORDS.get(word) ?? 'b', word);
      continue;
    }
    if ((c === 124 && next === 124) || (c === 38 && next === 38)) {
      count = push(count, '&', '');
      i += 2;
      continue;
    }
    if (c === 61 || c === 60 || c === 62 || ((c === 33 || c === 58) && next === 61)) {
      // = < > != :=
      let j = i + 1;
      for (let d = s.charCodeAt(j); d === 61 || d === 60 || d === 62 || d === 33; d = s.charCodeAt(++j));
      count = push(count, 'o', '');
      i = j;
      continue;
    }
    count = push(count, c === 33 ? '!' : (PUNCTUATION[c] ?? 'x'), '');
    i++;
  }
  return count;
}

/** Token types of single characters: arithmetic, and the punctuation that is its own type. */
const PUNCTUATION: Record<number, string> = {};
for (const ch of '+-*/%|&^~') PUNCTUATION[ch.charCodeAt(0)] = 'a';
for (const ch of '(),;.') PUNCTUATION[ch.charCodeAt(0)] = ch;

/**
 * The fingerprint of the first `count` tokens. Folds multi-word statements into one token:
 * `drop table`, `delete from`, `insert into`, `update … set`, `exec xp_…`, `declare @x`,
 * `order by`, `group by`, `waitfor delay`, `shutdown`. Each needs its SQL continuation, so
 * "drop me a line" and "update my card" stay words.
 */
function fingerprint(count: number): string {
  let fp = '';
  for (let i = 0; i < count; i++) {
    const type = types[i] ?? '';
    if (type !== 'b' && type !== 'h' && type !== 'g') {
      fp += type;
      continue;
    }
    const w = words[i] ?? '';
    const hasNext = i + 1 < count;
    const nextType = hasNext ? (types[i + 1] ?? '') : '';
    const nextWord = hasNext ? (words[i + 1] ?? '') : '';
    if ((w === 'drop' || w === 'truncate' || w === 'alter' || w === 'create') && DROP_OBJECTS.has(nextWord)) {
      fp += 'T';
      i++;
    } else if (w === 'delete' && nextType === 'F') {
      fp += 'T';
      i++;
    } else if (w === 'insert' && nextWord === 'into') {
      fp += 'T';
      i++;
    } else if (w === 'update' && nextType === 'b' && i + 2 < count && words[i + 2] === 'set') {
      fp += 'T';
      i += 2;
    } else if ((w === 'exec' || w === 'execute') && hasNext && (nextType === 'v' || EXEC_TARGET.test(nextWord))) {
      fp += 'T';
    } else if ((w === 'grant' || w === 'revoke') && GRANTABLE.has(nextWord)) {
      fp += 'T';
      i++;
    } else if (w === 'declare' && nextType === 'v') {
      fp += 'T';
    } else if ((w === 'order' || w === 'group') && nextWord === 'by') {
      fp += 'K';
      i++;
    } else if (w === 'waitfor' && (nextWord === 'delay' || nextWord === 'time')) {
      fp += 'w';
      i++;
    } else if (w === 'shutdown' && (!hasNext || nextType === 'c' || nextType === ';' || nextWord === 'with')) {
      fp += 'T';
    } else {
      fp += type;
    }
  }
  // A long input's tokens are not kept alive until the next call.
  if (count > RETAINED_TOKENS) types.length = words.length = 0;
  return fp;
}
const RETAINED_TOKENS = 1024;
const EXEC_TARGET = /^(?:master|xp_|sp_|immediate|\()/;

/**
 * What makes `select` a SELECT rather than a word: arithmetic that continues an expression
 * (`select *`, `select -1`, not the slash of "select/insert/update"), a function call, or a
 * parenthesis that opens SQL — not a parenthesised word as in "Select (Texas)" or "Union (NJ)",
 * which only counts when FROM, a comma or a statement end follows it.
 */
const AFTER_SELECT = 'a(?:[nvsfgF(!]|$)|[fg]\\(|\\((?!b\\)(?![F,;c]))';

/** Shapes that follow the point of injection: what comes right after the value an attacker closed. */
const AFTER_VALUE: readonly [string, RegExp][] = [
  // `or 1=1`, and arithmetic ones: `or 1+1=2`, `and 2-1=1`.
  ['sqli.tautology', /^\)*&!?\(*[nsbv]\)*(?:a\(*[nv]\)*)?o!?\(*[nsvfg(]/],
  ['sqli.boolean_comment', /^\)*&!?\(*[nsbv]\)*[c;]/],
  ['sqli.boolean_function', /^\)*[&oa]!?\(*[fg]\(/],
  ['sqli.subquery', /^\)*[&oa,]!?\(+E/],
  ['sqli.union', /^\)*U\(*E/],
  ['sqli.stacked_query', /^\)*;\(*[ETwc]/],
  ['sqli.clause', /^\)*K[nvfg(]/],
  ['sqli.time_delay', /^\)*;?w/],
  ['sqli.variable', /^\)*[&oa]\(*v/],
];
/** After a leading identifier: a tautology of literals, arithmetic included. */
const AFTER_IDENTIFIER = /^&!?\(*[nv]\)*(?:a\(*[nv]\)*)?o!?\(*[nv]/;
/** Only after a closed string: `admin'--`, `x' order by name`, `'='`. */
const AFTER_STRING: readonly [string, RegExp][] = [
  ['sqli.comment_truncation', /^\)*c/],
  ['sqli.clause', /^\)*K[sb]/],
  ['sqli.comparison', /^\)*o!?\(*[nsv]\)*(?:[c;&]|$)/],
  ['sqli.tautology', /^\)*&!?\(*[nv]$/],
];
/** A whole value that is a statement or a fragment of one. */
const WHOLE_VALUE: readonly [string, RegExp][] = [
  ['sqli.statement', new RegExp(`^\\(*E(?:${AFTER_SELECT}|[nvs](?:[,F;c)]|$)|(?:b,)+b?F|bF(?:b|\\()(?:[WK;cU)]|$))`)],
  ['sqli.statement', /^T/],
  ['sqli.union', new RegExp(`^U\\(*E(?:${AFTER_SELECT}|[nvs]|b,|bF)`)],
  ['sqli.tautology', /^&!?\(*[nsv]o!?\(*[nsv]/],
  ['sqli.stacked_query', new RegExp(`^;\\(*(?:[Tw]|E(?:${AFTER_SELECT}|[nvs]|b,|bF))`)],
  ['sqli.function', /^\(*f\(/],
  ['sqli.time_delay', /^w[sn]/],
];
/** Anywhere in the value. */
const ANYWHERE: readonly [string, RegExp][] = [
  ['sqli.union', new RegExp(`[nsbv)]U\\(*E(?:${AFTER_SELECT}|[nvs]|b,|bF)`)],
  ['sqli.subquery', new RegExp(`\\(E(?:${AFTER_SELECT}|[nvs]|(?:b,)+b?F|bF)`)],
  ['sqli.stacked_query', new RegExp(`;\\(*(?:[Tw]|E(?:${AFTER_SELECT}|[nvs]|b,|bF))`)],
  ['sqli.tautology', /[nsv)]&!?\(*[nsv]o!?\(*[nsv]\)*(?:[c;]|$)/],
  ['sqli.function', /[&oa,(]f\(/],
];

function firstMatch(fp: string, rules: readonly [string, RegExp][]): string | undefined {
  for (const [rule, pattern] of rules) if (pattern.test(fp)) return rule;
  return undefined;
}

/**
 * No rule above matches without a quote to break out of, a logical operator (`||`, `&&`), a
 * system variable (`@@`), a versioned comment (`/*!`) or one of these words standing alone (a
 * whole run of `[A-Za-z0-9_]`, as `\b…\b` would delimit it): text without any of them (user
 * agents, most prose, ids) is not tokenised.
 */
const SIGNAL_WORDS = [
  ...['union', 'select', 'or', 'and', 'xor', 'not', 'order', 'group', 'having', 'limit', 'offset', 'into'],
  ...['procedure', 'waitfor', 'drop', 'truncate', 'alter', 'create', 'delete', 'insert', 'update', 'exec'],
  ...['execute', 'declare', 'shutdown', 'grant', 'revoke'],
  ...ALWAYS_DANGEROUS,
];
/** SIGNAL_WORDS by length, then by first letter (a-z as 0-25): a word is compared with a few candidates, not all. */
const SIGNAL_BY_SHAPE: string[][][] = [];
/** Per length, a bit per first letter that starts a signal word of that length: most words are ruled out here. */
const SIGNAL_FIRSTS: number[] = [];
for (const word of SIGNAL_WORDS) {
  const first = word.charCodeAt(0) - 97;
  while (SIGNAL_BY_SHAPE.length <= word.length) {
    SIGNAL_BY_SHAPE.push(Array.from({ length: 26 }, () => []));
    SIGNAL_FIRSTS.push(0);
  }
  SIGNAL_BY_SHAPE[word.length]?.[first]?.push(word);
  SIGNAL_FIRSTS[word.length] = (SIGNAL_FIRSTS[word.length] ?? 0) | (1 << first);
}

/**
 * Whether `s[start, end)` is one of SIGNAL_WORDS, in any ASCII case: what SQL_SIGNAL finds in a
 * `\w` run, for the engine's plain-string prefilter, which reads the raw text. In place: no
 * substring per word.
 */
export function isSqlSignalWord(s: string, start: number, end: number): boolean {
  const length = end - start;
  // `| 0x20` lower-cases a letter; a digit or `_` lands outside a-z, where no word starts. Small,
  // so that V8 inlines it: most words are ruled out by their length and first letter.
  const first = (s.charCodeAt(start) | 0x20) - 97;
  return (
    length < SIGNAL_FIRSTS.length &&
    first >= 0 &&
    first < 26 &&
    (((SIGNAL_FIRSTS[length] as number) >> first) & 1) === 1 &&
    isSignalWordOf(s, start, SIGNAL_BY_SHAPE[length]?.[first] as readonly string[])
  );
}

function isSignalWordOf(s: string, start: number, candidates: readonly string[]): boolean {
  for (let k = 0; k < candidates.length; k++) {
    const word = candidates[k] as string;
    let i = 1;
    for (; i < word.length; i++) {
      const c = s.charCodeAt(start + i);
      if (c !== word.charCodeAt(i) && !(c >= 65 && c <= 90 && c + 32 === word.charCodeAt(i))) break;
    }
    if (i === word.length) return true;
  }
  return false;
}

const SQL_SIGNAL = new RegExp(`\\|\\||&&|@@|\\/\\*!|\\b(?:${SIGNAL_WORDS.join('|')})\\b`);

const MAX_BREAKOUTS = 4;

/** Words SQL allows right after a value: a quote followed by anything else closes no string. */
const AFTER_VALUE_WORDS = new Set([
  'or',
  'and',
  'xor',
  'not',
  'union',
  'order',
  'group',
  'having',
  'limit',
  'offset',
  'into',
  'procedure',
  'waitfor',
  'like',
  'rlike',
  'regexp',
  'is',
  'in',
  'between',
  'sounds',
  'div',
  'mod',
  'collate',
  'from',
  'where',
]);

/**
 * Whether the quote at `at` can be a break-out: what follows it (after spaces) is SQL punctuation
 * or a word SQL allows after a value. "O'Connor", "it's", "Runner's cap" are ruled out here,
 * before any tokenising, which keeps prose cheap.
 */
function plausibleBreakout(text: string, at: number): boolean {
  let i = at + 1;
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  if (i >= text.length) return false;
  const c = text.charCodeAt(i);
  if (!((c >= 97 && c <= 122) || c === 95)) return !(c >= 48 && c <= 57) && c < 128;
  let j = i + 1;
  while (j < text.length && isWordChar(text.charCodeAt(j))) j++;
  return AFTER_VALUE_WORDS.has(text.slice(i, j));
}

/** Whether the backtick at `at` is preceded by an even number of backticks and closed later. */
function opensCodeSpan(text: string, at: number): boolean {
  let before = 0;
  for (let i = text.indexOf('`'); i >= 0 && i < at; i = text.indexOf('`', i + 1)) before++;
  return before % 2 === 0 && text.indexOf('`', at + 1) > 0;
}

export const detectSqlInjection: Detector = (text) => {
  const critical = (rule: string): RuleMatch => ({ rule, severity: 'critical' });
  // Every whole-value rule needs a keyword, a logical operator or a system variable.
  if (SQL_SIGNAL.test(text)) {
    const plain = fingerprint(sqlTokens(text));
    const whole = firstMatch(plain, WHOLE_VALUE) ?? firstMatch(plain, ANYWHERE);
    if (whole) return critical(whole);
    if (/^[nv)]/.test(plain)) {
      const rule = firstMatch(plain.replace(/^[nv]/, ''), AFTER_VALUE);
      if (rule) return critical(rule);
    }
    // After an identifier (`sku42 and 4*2=8`) only a tautology between literals counts: "apples or
    // pears = fruit" compares words.
    if (plain.startsWith('b') && AFTER_IDENTIFIER.test(plain.slice(1))) return critical('sqli.tautology');
  }
  for (const quote of ["'", '"', '`']) {
    // Read the input as if it were placed inside a string literal that a quote closes: the first
    // one, and the next few, so an earlier apostrophe (O'Brien) cannot hide the break-out.
    let at = text.indexOf(quote);
    for (let tries = 0; at >= 0 && tries < MAX_BREAKOUTS; tries++) {
      if (!plausibleBreakout(text, at)) {
        at = text.indexOf(quote, at + 1);
        continue;
      }
      const tail = fingerprint(sqlTokens(text.slice(at + 1)));
      // A later quote followed by a comment is prose ('no' -- and…); `admin'--` closes the first.
      // A backtick that opens a Markdown code span ("the `--force` flag", "use `ORDER BY id`")
      // closes nothing either: only shapes that need no string context count after it.
      const rule =
        firstMatch(tail, AFTER_VALUE) ??
        (tries === 0 && !(quote === '`' && opensCodeSpan(text, at)) ? firstMatch(tail, AFTER_STRING) : undefined) ??
        firstMatch(tail, ANYWHERE);
      if (rule) return critical(rule);
      at = text.indexOf(quote, at + 1);
    }
  }
  return undefined;
};
