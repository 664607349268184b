import { Catch, Inject, Logger, Optional, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import {
  baselineHeadersOf,
  getRequestContext,
  getRequestState,
  principalOf,
  rawRequest,
  redact,
  rawResponse,
  routeOf,
  SecurityEvents,
  type SecurityEventType,
  type SecuritySeverity,
} from '@rampart/core';
import { errorRendererFor } from './error-renderers';
import { RAMPART_ERRORS_OPTIONS } from './errors.constants';
import { resolveErrorsOptions, type ResolvedErrorsOptions } from './errors.options';
import { toProblem, type Problem } from './problem';
import { problemDocument } from './problem-response';
import { SecurityError, type SecurityErrorCode } from './security-error';

const EVENTS: Partial<Record<SecurityErrorCode, [SecurityEventType, SecuritySeverity]>> = {
  UNAUTHORIZED: ['auth.failure', 'medium'],
  FORBIDDEN: ['access.denied', 'medium'],
  RATE_LIMITED: ['rate_limit.exceeded', 'low'],
  VALIDATION_ERROR: ['validation.failed', 'low'],
  THREAT_DETECTED: ['threat.detected', 'high'],
  INTERNAL_ERROR: ['request.error', 'high'],
};

/**
 * Answers every error — from handlers, guards, pipes, the body parser and the router — as an
 * RFC 9457 `application/problem+json` document with a stable `code` and the request id. Nothing
 * of an unexpected error (message, stack, SQL, paths, hosts) is sent, in any NODE_ENV: it is
 * logged once, server-side, with the request id that the client can quote.
 * @publicApi
 */
@Catch()
export class SafeExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('SafeExceptionFilter');
  private readonly options: ResolvedErrorsOptions;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Optional() private readonly events?: SecurityEvents,
    @Optional() @Inject(RAMPART_ERRORS_OPTIONS) options?: ResolvedErrorsOptions,
  ) {
    this.options = options ?? resolveErrorsOptions();
  }

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const http = host.switchToHttp();
    const req = http.getRequest<object>();
    const res = http.getResponse<object>();
    const raw = rawResponse(res);
    // The route's deadline answered 503 already: what the handler does later (a value Express can
    // no longer send, an error) has nobody to go to, and is not a fault of the application.
    if (raw.headersSent && getRequestState(req).deadline?.expired) return;
    const context = getRequestContext(req);
    const problem = toProblem(exception);
    if (problem.internal) this.logServerSide(exception, problem, req, context.id);
    this.emitEvent(exception, problem, req, context);

    if (raw.headersSent) {
      // Part of a response is out: a problem document cannot follow it, so cut the connection.
      raw.destroy();
      return;
    }
    const adapter = this.adapterHost.httpAdapter;
    const instance = adapter.getInstance<object>();
    // An error raised before the security-headers middleware ran (a malformed forwarding header)
    // still leaves with the preset.
    for (const [name, value] of Object.entries(baselineHeadersOf(instance))) {
      if (!raw.hasHeader(name)) adapter.setHeader(res, name, value);
    }
    for (const [name, value] of Object.entries(problem.headers)) adapter.setHeader(res, name, value);
    adapter.setHeader(res, 'Cache-Control', 'no-store');
    // A route whose clients parse another format (OAuth endpoints: RFC 6749 JSON) gets it, from
    // whichever layer the refusal came.
    const rendered = errorRendererFor(instance, rawRequest(req).url)?.(problem);
    if (rendered) {
      adapter.setHeader(res, 'Content-Type', rendered.contentType);
      adapter.reply(res, rendered.body, rendered.status);
      return;
    }
    const body = problemDocument(problem, context.id, this.options.problemTypeBase);
    adapter.setHeader(res, 'Content-Type', 'application/problem+json; charset=utf-8');
    // Serialised here: given an object, some adapter versions (Nest 11 on Express) reset the
    // Content-Type to application/json.
    adapter.reply(res, JSON.stringify(body), problem.status);
  }

  /**
   * What the client is not told is logged here, with the request id it can quote. A 503 (an outage,
   * a deadline) is a warning without a stack: during an outage every request meets it, and a stack
   * per request would bury the first one. Anything else is an error with its stack. The query string
   * goes through the redactor (`?api_key=…`, `?code=…`).
   */
  private logServerSide(exception: unknown, problem: Problem, req: object, requestId: string): void {
    const { method, url = '' } = rawRequest(req);
    const query = url.indexOf('?');
    const error = exception instanceof Error ? exception : new Error(String(exception));
    const facts = {
      requestId,
      method,
      path: query === -1 ? url : url.slice(0, query),
      ...(query === -1 ? {} : { query: redact(Object.fromEntries(new URLSearchParams(url.slice(query + 1)))) }),
      name: error.name,
      error: error.message,
    };
    if (problem.status === 503) {
      this.logger.warn(JSON.stringify({ msg: 'Service unavailable', ...facts, reason: problem.reason }));
      return;
    }
    this.logger.error(JSON.stringify({ msg: 'Unhandled error', ...facts }), error.stack);
  }

  private emitEvent(
    exception: unknown,
    problem: Problem,
    req: object,
    context: { id: string; clientIp: string },
  ): void {
    const error = exception instanceof SecurityError ? exception : undefined;
    const mapping = error?.event ? ([error.event.type, error.event.severity] as const) : EVENTS[problem.code];
    if (!mapping || !this.events?.wants(mapping[0])) return;
    const [type, severity] = mapping;
    const principal = error?.principal ?? principalOf(req);
    this.events.emit({
      type,
      severity,
      requestId: context.id,
      clientIp: context.clientIp,
      route: routeOf(req),
      reason: problem.reason ?? problem.code.toLowerCase(),
      ...(principal === undefined ? {} : { principal }),
      details: { status: problem.status, ...error?.eventDetails },
    });
  }
}
