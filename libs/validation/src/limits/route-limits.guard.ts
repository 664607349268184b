import { Inject, Injectable, Optional, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { httpArgument, PerRoute, rawRequest, rawResponse, type RouteTarget } from '@rampart/core';
import { PayloadTooLargeError, ServiceUnavailableError, UnsupportedMediaTypeError } from '@rampart/errors';
import { REQUEST_LIMITS_METADATA, RAMPART_VALIDATION_OPTIONS } from '../validation.constants';
import { DEFAULT_VALIDATION_OPTIONS, type ResolvedValidationOptions, type RouteLimits } from '../validation.options';
import { assertShape, refuse, type ShapeLimits } from './json-shape';
import { countQueryParams, queryOf } from './query-string';
import { bodyBytesOf, hasBody, mediaTypeOf } from './request-limits';
import { startDeadline } from './request-signal';

/** What a route's requests are held to, computed once per handler: the hot path does no reflection. */
interface PreparedRoute {
  readonly maxQueryParams: number | undefined;
  readonly maxBodyBytes: number | undefined;
  /** The media types a body may have: the route's own, else `routeMediaTypes`. */
  readonly mediaTypes: readonly string[];
  /** The shape limits, when the route tightens one of them (the parser already applied the global ones). */
  readonly shape: ShapeLimits | undefined;
  readonly timeoutMs: number;
}

const SHAPE_LIMITS = ['maxDepth', 'maxKeys', 'maxArrayLength', 'maxStringLength'] as const;

/**
 * The `routeLimits` phase of Rampart's pipeline, last: applies `@RequestLimits()` of the route
 * (tighter body, shape and query limits than the global ones, its media types) and starts the
 * route's deadline. Past it the request is answered 503 problem+json through the application's
 * exception filters and the request's AbortSignal fires, as it does when the client disconnects.
 * A timer, not a Nest interceptor: one interceptor would put every route of the application on
 * Nest's rxjs path (about a tenth of a request's CPU on Fastify). Registered by `ValidationModule`.
 * @publicApi
 */
@Injectable()
export class RouteLimitsGuard implements CanActivate {
  private readonly options: ResolvedValidationOptions;
  private readonly routes = new PerRoute((handler, controller) => this.prepare(handler, controller));

  constructor(
    private readonly reflector: Reflector,
    @Optional() @Inject(RAMPART_VALIDATION_OPTIONS) options?: ResolvedValidationOptions,
  ) {
    this.options = options ?? DEFAULT_VALIDATION_OPTIONS;
  }

  canActivate(context: ExecutionContext): true {
    if (context.getType() !== 'http') return true;
    const route = this.routes.of(context);
    const req = httpArgument<object & { body?: unknown }>(context, 'request');
    check(route, req);
    startDeadline(req, rawResponse(httpArgument(context, 'response')), route.timeoutMs, (ms) => {
      const error = new ServiceUnavailableError('The request took too long: retry later.', {
        reason: 'handler_timeout',
        headers: { 'Retry-After': '5' },
        eventDetails: { timeoutMs: ms },
      });
      // The platform's error path runs the application's exception filters, as for an error the
      // handler throws: Express's `next(error)`, Fastify's `reply.send(error)`.
      const http = context.switchToHttp();
      const next = http.getNext<unknown>();
      if (typeof next === 'function') (next as (error: unknown) => void)(error);
      else http.getResponse<{ send(error: unknown): unknown }>().send(error);
    });
    return true;
  }

  /** The route's limits: the method's over its controller's, limit by limit. */
  private prepare(handler: RouteTarget, controller: RouteTarget): PreparedRoute {
    const [onMethod, onClass] = this.reflector.getAll<(RouteLimits | undefined)[]>(REQUEST_LIMITS_METADATA, [
      handler,
      controller,
    ]);
    const limits: RouteLimits = { ...onClass, ...onMethod };
    const tightened = Object.fromEntries(
      SHAPE_LIMITS.flatMap((name) => (limits[name] === undefined ? [] : [[name, limits[name]]])),
    );
    return {
      maxQueryParams: limits.maxQueryParams,
      maxBodyBytes: limits.maxBodyBytes,
      mediaTypes: limits.mediaTypes ?? this.options.routeMediaTypes,
      shape: Object.keys(tightened).length > 0 ? { ...this.options, ...tightened } : undefined,
      timeoutMs: limits.timeoutMs ?? this.options.timeoutMs,
    };
  }
}

function check(route: PreparedRoute, req: object & { body?: unknown }): void {
  const raw = rawRequest(req);
  if (route.maxQueryParams !== undefined && countQueryParams(queryOf(raw.url ?? '')) > route.maxQueryParams) {
    throw refuse('too_many_query_params', `The query string has more than ${route.maxQueryParams} parameters.`);
  }
  if (!hasBody(raw.headers)) return;
  if (route.maxBodyBytes !== undefined && bodyBytesOf(raw) > route.maxBodyBytes) {
    throw new PayloadTooLargeError(`The request body is larger than ${route.maxBodyBytes} bytes.`, {
      reason: 'body_too_large',
    });
  }
  // A route that names no media types takes `routeMediaTypes` only, even if the platform parses more.
  if (!route.mediaTypes.includes(mediaTypeOf(raw.headers))) {
    throw new UnsupportedMediaTypeError(`Send the body as one of: ${route.mediaTypes.join(', ')}.`, {
      reason: 'media_type',
    });
  }
  if (route.shape) assertShape(req.body, route.shape);
}
