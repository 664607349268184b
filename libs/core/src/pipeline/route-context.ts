import type { ArgumentsHost, ExecutionContext } from '@nestjs/common';

/** A route handler or a controller class, as `ExecutionContext` gives them. @publicApi */
export type RouteTarget = ReturnType<ExecutionContext['getHandler']>;

/**
 * A value derived once per route (controller class + handler), e.g. what a guard reads of the
 * route's metadata: metadata is fixed once the application is built, so the hot path does no
 * reflection. Keyed by class then handler, since a handler inherited by two controllers may
 * carry different class metadata; weakly, so a discarded application leaves nothing behind.
 * @publicApi
 * @example
 * private readonly routes = new PerRoute((handler, controller) =>
 *   this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC_KEY, [handler, controller]) === true);
 * canActivate(context: ExecutionContext) { if (this.routes.of(context)) return true; … }
 */
export class PerRoute<T> {
  private readonly byClass = new WeakMap<RouteTarget, Map<RouteTarget, T>>();

  constructor(private readonly derive: (handler: RouteTarget, controller: RouteTarget) => T) {}

  of(context: ExecutionContext): T {
    return this.get(context.getClass(), context.getHandler());
  }

  get(controller: RouteTarget, handler: RouteTarget): T {
    let byHandler = this.byClass.get(controller);
    if (!byHandler) this.byClass.set(controller, (byHandler = new Map<RouteTarget, T>()));
    const cached = byHandler.get(handler);
    if (cached !== undefined || byHandler.has(handler)) return cached as T;
    const value = this.derive(handler, controller);
    byHandler.set(handler, value);
    return value;
  }
}

/**
 * The request (`0`) or the response (`1`) of an HTTP context: what `context.switchToHttp()
 * .getRequest()` returns, without the object and three closures Nest allocates on each
 * `switchToHttp()` call (several per request across the phases).
 * @publicApi
 */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the platform's type, as with Nest's getRequest<T>()
export function httpArgument<T = object>(context: ArgumentsHost, which: 'request' | 'response'): T {
  return context.getArgByIndex<T>(which === 'request' ? 0 : 1);
}
