import type { Detector } from './types';

/**
 * Server-side template injection and expression-language injection (including Log4Shell's
 * `${jndi:…}`): a template delimiter (`{{ }}`, `${ }`, `#{ }`, `*{ }`, `<% %>`, `{% %}`) around
 * an expression that computes or reaches the runtime. Placeholders (`{{name}}`, `${amount}`,
 * `Hello {{ user.firstName }}`) pass: only arithmetic on literals, dunder attributes, class and
 * runtime access, lookups and filters that execute are reported.
 */
const DELIMITED = /\{\{([^}]{0,300})\}?\}|[$#*@]\{([^}]{0,300})\}?|<%=?-?([^%]{0,300})%?>|\{%-?([^%]{0,300})%?\}/g;

const EXPRESSION =
  /\d\s*[*+\-/%]\s*\d|__|constructor|getclass|forname|runtime|processbuilder|\bexec\b|\bsystem\b|popen|subprocess|\bimport\b|\brequire\s*\(|\bprocess\.|\beval\b|\bconfig\b|\bself\b|\brequest\.|lipsum|cycler|joiner|namespace|subclasses|\bmro\b|globals|builtins|\bjndi\s*:|\b(?:env|sys|java|lower|upper|date|ctx|main|base64|k8s|docker|spring|bundle|jvmrunargs|log4j|marker|event|sd|web|map)\s*:|^\s*t\s*\(|\?new|\|\s*(?:attr|filter|map|sort|reduce|join)\b|\bos\.|\$\{|\bsettings\.|applicationscope|pagecontext|\$on\.|\.class\b|\bfile\.|\bio\.|\bkernel\.|`|\bphp\b|\bsmarty\b|\bdebug\b|\bgetenv\b|\bvalueof\b|\binvoke\b|\bnew\s+java|\bcat\s+\/|\bid\b\s*`|\.\s*(?:read|write|open)\s*\(/;

/** Engine syntax that is an attack without delimiters around it. */
const DIRECTIVE =
  /<#assign|<#import|freemarker\.template|\?new\s*\(|#set\s*\(\s*\$|\$class\.inspect|#foreach\s*\(|\{php\}|\{\/php\}|\{system\s*\(|\{\$smarty|\{self::|\$\{\s*\{|#\{\s*\d|\{\{\s*['"]?\d+['"]?\s*[*+]/;

export const detectTemplateInjection: Detector = (text) => {
  if (!/[{%#$<]/.test(text)) return undefined;
  if (DIRECTIVE.test(text)) return { rule: 'template_injection.directive', severity: 'critical' };
  DELIMITED.lastIndex = 0;
  let match: RegExpExecArray | null;
  let seen = 0;
  while ((match = DELIMITED.exec(text)) !== null && seen++ < 32) {
    const expression = match[1] ?? match[2] ?? match[3] ?? match[4] ?? '';
    if (EXPRESSION.test(expression)) return { rule: 'template_injection.expression', severity: 'critical' };
  }
  return undefined;
};
