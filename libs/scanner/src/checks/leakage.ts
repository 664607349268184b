import type { Answer } from '../http';
import type { ScanContext } from '../context';

/** Signs of a stack trace, in the languages APIs are written in. Linear-time patterns only. */
const STACK_TRACE = [
  /\bat [\w$.<>]+ \([^()\n]{1,300}:\d+:\d+\)/, // Node, Java-like
  /Traceback \(most recent call last\)/, // Python
  /\bException in thread\b|\bat [\w$.]+\([\w]+\.java:\d+\)/, // Java
  /\.(?:php|rb|py|go|cs):\d+\b/,
  /\/node_modules\//,
];

/** Framework and server fingerprints in error bodies. */
const FRAMEWORK =
  /Cannot (?:GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) \/|Whitelabel Error Page|Express|NestJS|Fastify|Django|Laravel|Werkzeug|Kestrel|Apache Tomcat|Spring Boot/;

/** Parser internals in an error message (JSON.parse, body-parser). */
const PARSER = /in JSON at position \d+|Unexpected token|Unexpected end of JSON input|Expected property name/;

/** Reports what `answer` gives away: stack traces, framework names, parser messages, the input itself. */
export function inspectError(ctx: ScanContext, answer: Answer, echoed?: string): void {
  const at = { method: answer.method, url: answer.url };
  const excerpt = (pattern: RegExp): string | undefined => {
    const match = pattern.exec(answer.body);
    return match ? answer.body.slice(Math.max(0, match.index - 40), match.index + 120) : undefined;
  };
  for (const pattern of STACK_TRACE) {
    const evidence = excerpt(pattern);
    if (evidence) {
      ctx.report({
        ...at,
        rule: 'errors/stack-trace',
        severity: 'high',
        message: `A ${answer.status} answer carries a stack trace.`,
        evidence,
      });
      break;
    }
  }
  const framework = excerpt(FRAMEWORK);
  if (framework) {
    ctx.report({
      ...at,
      rule: 'errors/framework-disclosure',
      severity: 'low',
      message: `A ${answer.status} answer names the framework or its router's wording.`,
      evidence: framework,
    });
  }
  const parser = excerpt(PARSER);
  if (parser) {
    ctx.report({
      ...at,
      rule: 'errors/parser-details',
      severity: 'low',
      message: `A ${answer.status} answer repeats the parser's internal message.`,
      evidence: parser,
    });
  }
  if (echoed && answer.body.includes(echoed)) {
    ctx.report({
      ...at,
      rule: 'errors/echoed-input',
      severity: 'medium',
      message: `A ${answer.status} answer echoes the request's input (reflection, log and response injection).`,
      evidence: excerpt(new RegExp(echoed)),
    });
  }
  if (answer.status >= 500) {
    ctx.report({
      ...at,
      rule: 'errors/server-error',
      severity: 'medium',
      message: `Malformed input made the server fail (${answer.status}) instead of a 4xx.`,
    });
  }
}
