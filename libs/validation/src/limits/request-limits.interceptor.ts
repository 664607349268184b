import {
  Inject,
  Injectable,
  Optional,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { rawRequest, rawResponse } from '@rampart/core';
import { PayloadTooLargeError, ServiceUnavailableError, UnsupportedMediaTypeError } from '@rampart/errors';
import { Observable } from 'rxjs';
import { REQUEST_LIMITS_METADATA, RAMPART_VALIDATION_OPTIONS } from '../validation.constants';
import { DEFAULT_VALIDATION_OPTIONS, type ResolvedValidationOptions, type RouteLimits } from '../validation.options';
import { assertShape, refuse } from './json-shape';
import { countQueryParams, queryOf } from './query-string';
import { bodyBytesOf, hasBody, mediaTypeOf } from './request-limits';
import { expireDeadline, startDeadline } from './request-signal';

const SHAPE_LIMITS = ['maxDepth', 'maxKeys', 'maxArrayLength', 'maxStringLength'] as const;

/**
 * Applies `@RequestLimits()` of the route (tighter body, shape and query limits than the
 * global ones) and the route's timeout: past it the request is answered 503 problem+json and
 * the request's AbortSignal fires, as it does when the client disconnects.
 * Installed globally by `ValidationModule`.
 * @publicApi
 */
@Injectable()
export class RequestLimitsInterceptor implements NestInterceptor {
  private readonly options: ResolvedValidationOptions;
  /** Route limits by handler (`null`: none), filled on each route's first request. */
  private readonly routes = new WeakMap<object, RouteLimits | null>();

  constructor(
    private readonly reflector: Reflector,
    @Optional() @Inject(RAMPART_VALIDATION_OPTIONS) options?: ResolvedValidationOptions,
  ) {
    this.options = options ?? DEFAULT_VALIDATION_OPTIONS;
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const route = this.limitsOf(context);
    const http = context.switchToHttp();
    const req = http.getRequest<object & { body?: unknown }>();
    if (route) this.checkRoute(route, req);
    if (!route?.mediaTypes) this.checkDefaultMediaType(req);

    const ms = route?.timeoutMs ?? this.options.timeoutMs;
    const deadline = startDeadline(req, rawResponse(http.getResponse<object>()));
    // The handler's first value must come within `ms` (rxjs' `timeout({ first })`, written out:
    // one timer and one subscription per request instead of the operator's scheduler machinery).
    return new Observable((subscriber) => {
      const timer = setTimeout(() => {
        expireDeadline(deadline, new Error(`The route timed out after ${ms} ms.`));
        subscriber.error(
          new ServiceUnavailableError('The request took too long: retry later.', {
            reason: 'handler_timeout',
            headers: { 'Retry-After': '5' },
            eventDetails: { timeoutMs: ms },
          }),
        );
      }, ms);
      subscriber.add(() => {
        clearTimeout(timer);
      });
      subscriber.add(
        next.handle().subscribe({
          next: (value) => {
            clearTimeout(timer);
            subscriber.next(value);
          },
          error: (error: unknown) => {
            subscriber.error(error);
          },
          complete: () => {
            subscriber.complete();
          },
        }),
      );
    });
  }

  /**
   * The route's limits: the method's over its controller's, limit by limit. Metadata is fixed once
   * the application is built, so it is read once per handler, not on every request.
   */
  private limitsOf(context: ExecutionContext): RouteLimits | undefined {
    const handler = context.getHandler();
    const cached = this.routes.get(handler);
    if (cached !== undefined) return cached ?? undefined;
    const [onMethod, onClass] = this.reflector.getAll<(RouteLimits | undefined)[]>(REQUEST_LIMITS_METADATA, [
      handler,
      context.getClass(),
    ]);
    const route = onMethod && onClass ? { ...onClass, ...onMethod } : (onMethod ?? onClass);
    this.routes.set(handler, route ?? null);
    return route;
  }

  /** A route that names no media types takes `routeMediaTypes` only, even if the platform parses more. */
  private checkDefaultMediaType(req: object): void {
    const raw = rawRequest(req);
    if (!hasBody(raw.headers) || this.options.routeMediaTypes.includes(mediaTypeOf(raw.headers))) return;
    throw new UnsupportedMediaTypeError(`Send the body as one of: ${this.options.routeMediaTypes.join(', ')}.`, {
      reason: 'media_type',
    });
  }

  private checkRoute(route: RouteLimits, req: object & { body?: unknown }): void {
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
    if (route.mediaTypes && !route.mediaTypes.includes(mediaTypeOf(raw.headers))) {
      throw new UnsupportedMediaTypeError(`Send the body as one of: ${route.mediaTypes.join(', ')}.`, {
        reason: 'media_type',
      });
    }
    if (SHAPE_LIMITS.some((name) => route[name] !== undefined)) {
      const defined = Object.fromEntries(Object.entries(route).filter(([, value]) => value !== undefined));
      assertShape(req.body, { ...this.options, ...defined });
    }
  }
}
