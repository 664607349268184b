import type { Detector } from './types';

/**
 * MongoDB operator injection: an object where the application expects a scalar, so that
 * `{"password": {"$ne": null}}` or `password[$ne]=` matches every document. Reported on keys that
 * are query operators (JSON bodies) or carry one in brackets (query strings parsed by `qs`), and
 * on strings that smuggle an operator object or server-side JavaScript (`$where`). JSON Schema's
 * `$ref`, `$id`, `$schema` and prices like `$5` are not operators and pass.
 */
const OPERATORS =
  'ne|eq|gt|gte|lt|lte|in|nin|regex|where|exists|or|and|nor|not|expr|elemmatch|function|accumulator|type|size|all|mod|text|jsonschema|lookup|options|where|geowithin|near|nearsphere|slice|rename|set|unset|inc|push|pull|addtoset|merge|out|unionwith|graphlookup|facet|project|match|group';

const OPERATOR_KEY = new RegExp(`^\\$(?:${OPERATORS})$`);
const BRACKETED_OPERATOR = new RegExp(`\\[\\s*\\$(?:${OPERATORS})\\s*\\]`);
const OPERATOR_IN_STRING = new RegExp(
  `[{,]\\s*["']?\\$(?:${OPERATORS})["']?\\s*:|\\[\\s*\\$(?:${OPERATORS})\\s*\\]|\\$(?:where|function|accumulator|expr)\\b`,
);
/**
 * JavaScript that breaks out of a `$where` string: `'; return true; var x='`, `' || '1'=='1`.
 * After `||` the operand is either quoted or a word, never both optional around a run of spaces:
 * `\s*['"]?[\w\s]*['"]?\s*` was three ambiguous runs, cubic on `'||` followed by spaces (ReDoS).
 */
const WHERE_JS =
  /(?:^[\s\d]*|['"]\s*);\s*(?:return|while|sleep|var|let|const|throw)\b|['"]\s*\|\|\s*(?:['"][\w\s]{0,64}['"]|\w{1,64})\s*===?|this\.\w+\s*(?:[!=]==?|\.match\s*\()|\bdb\.[\w$]+\.(?:find|insert|update|remove|drop|aggregate|deleteone|deletemany)\s*\(|\bdb\.(?:getcollection|dropdatabase|eval)\s*\(|\bmapreduce\b|\bsleep\s*\(\s*\d{3,}\s*\)/;

export const detectNoSqlInjection: Detector = (text, context) => {
  if (context.isKey) {
    if (OPERATOR_KEY.test(text.trim()) || BRACKETED_OPERATOR.test(text)) {
      return { rule: 'nosql_injection.operator', severity: 'critical' };
    }
    return undefined;
  }
  if (text.includes('$') && OPERATOR_IN_STRING.test(text))
    return { rule: 'nosql_injection.operator', severity: 'critical' };
  if (/['";]|this\.|db\.|mapreduce|sleep/.test(text) && WHERE_JS.test(text))
    return { rule: 'nosql_injection.javascript', severity: 'critical' };
  return undefined;
};
