import type { Detector } from './types';

/**
 * Server-side template injection and expression-language injection (including Log4Shell's
 * `${jndi:…}`): a template delimiter (`{{ }}`, `${ }`, `#{ }`, `*{ }`, `<% %>`, `{% %}`) around
 * an expression that computes or reaches the runtime. Placeholders (`{{name}}`, `${amount}`,
 * `Hello {{ user.firstName }}`) pass: only arithmetic on literals, dunder attributes, class and
 * runtime access, lookups and filters that execute are reported.
 */
/** Longest expression read after a delimiter: real template expressions are short. */
const MAX_EXPRESSION = 300;

/**
 * The closing character of the delimiter opening at `i` (`{{`, `${`, `#{`, `*{`, `@{`, `@(`,
 * `<%`, `{%`), or '' when none opens there.
 */
function closerAt(text: string, i: number): string {
  const next = text.charAt(i + 1);
  switch (text.charAt(i)) {
    case '{':
      return next === '{' ? '}' : next === '%' ? '%' : '';
    case '$':
    case '#':
    case '*':
      return next === '{' ? '}' : '';
    case '@': // Razor: @{ … } and @( … )
      return next === '{' ? '}' : next === '(' ? ')' : '';
    case '<':
      return next === '%' ? '%' : '';
    default:
      return '';
  }
}

/**
 * Calls `visit` with the expression inside each template delimiter, left to right, until it
 * returns true. A hand scan rather than a regular expression: with `{{([^}]{0,300})}}` every `{{`
 * of a long run of braces re-read the next 300 characters (ReDoS-style amplification). Here each
 * expression ends at its closer (its position found once, then reused) or after MAX_EXPRESSION
 * characters, and scanning resumes after it: every character is read a bounded number of times.
 */
function someExpression(text: string, visit: (expression: string) => boolean): boolean {
  const nextClose: Record<string, number> = { '}': -1, '%': -1, ')': -1 };
  let i = 0;
  while (i < text.length - 1) {
    const closer = closerAt(text, i);
    if (closer === '') {
      i++;
      continue;
    }
    const open = i + 2;
    let close = nextClose[closer] ?? -1;
    if (close < open) {
      const found = text.indexOf(closer, open);
      close = found < 0 ? Infinity : found;
      nextClose[closer] = close;
    }
    const end = Math.min(close, open + MAX_EXPRESSION, text.length);
    if (visit(text.slice(open, end))) return true;
    i = end;
  }
  return false;
}

function hasDelimiter(text: string): boolean {
  return text.includes('{') || text.includes('<%') || text.includes('@(');
}

const EXPRESSION =
  /\d\s*[*+\-/%]\s*\d|__|constructor|getclass|forname|runtime|processbuilder|\bexec\b|\bsystem\b|popen|subprocess|\bimport\b|\brequire\s*\(|\bprocess\.|\beval\b|\bconfig\b|\bself\b|\brequest\.|lipsum|cycler|joiner|namespace|subclasses|\bmro\b|globals|builtins|\bjndi\s*:|\b(?:env|sys|java|lower|upper|date|ctx|main|base64|k8s|docker|spring|bundle|jvmrunargs|log4j|marker|event|sd|web|map)\s*:|^\s*t\s*\(|\?new|\|\s*(?:attr|filter|map|sort|reduce|join)\b|\bos\.|\$\{|\bsettings\.|applicationscope|pagecontext|\$on\.|\.class\b|\bfile\.|\bio\.|\bkernel\.|`|\bphp\b|\bsmarty\b|\bdebug\b|\bgetenv\b|\bvalueof\b|\binvoke\b|\bnew\s+java|\bcat\s+\/|\bid\b\s*`|\.\s*(?:read|write|open)\s*\(|\.apply\b|\bcodelist\b|\bconslist\b/;

/** Engine syntax that is an attack without delimiters around it. */
const DIRECTIVE =
  /<#assign|<#import|freemarker\.template|\?new\s*\(|#set\s*\(\s*\$|\$class\.inspect|#foreach\s*\(|\{php\}|\{\/php\}|\{system\s*\(|\{\$smarty|\{self::|\$\{\s*\{|#\{\s*\d|\{\{\s*['"]?\d+['"]?\s*[*+]/;

export const detectTemplateInjection: Detector = (text) => {
  if (!/[{%#$<@]/.test(text)) return undefined;
  if (DIRECTIVE.test(text)) return { rule: 'template_injection.directive', severity: 'critical' };
  // Every delimiter closerAt() knows contains `{`, `<%` or `@(`: text without them has no expression to scan.
  if (hasDelimiter(text) && someExpression(text, (expression) => EXPRESSION.test(expression))) {
    return { rule: 'template_injection.expression', severity: 'critical' };
  }
  return undefined;
};
