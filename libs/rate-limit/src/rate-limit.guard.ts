import { Inject, Injectable, type CanActivate, type ExecutionContext, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { httpArgument, InvalidOptionsError, principalOf, rawResponse, type GuardPhase } from '@rampart/core';
import { RateLimitedError } from '@rampart/errors';
import { isPreAuthenticationKey, needsAuthentication, resolveKey } from './key-resolver';
import { RATE_LIMIT_OPTIONS, RATE_LIMIT_POLICY, RATE_LIMIT_STORAGE, SKIP_RATE_LIMIT } from './rate-limit.constants';
import type { RateLimitMetadata } from './rate-limit.decorator';
import { constrainingTier, rateLimitHeaders, setAdmittedHeaders } from './rate-limit.headers';
import { resolvePolicy, type ResolvedPolicy, type ResolvedRateLimitOptions } from './rate-limit.options';
import type { RateLimitDecision, RateLimitStorage } from './storage/rate-limit.storage';

type Handler = (...args: unknown[]) => unknown;

/** A route's policy and what the hot path derives from it, computed once. */
interface PreparedRoute {
  readonly policy: ResolvedPolicy;
  /** `<policy name>|`, the start of every storage key of this policy. */
  readonly keyPrefix: string;
  /** Its key is known before authentication (IP, route): it runs before authentication. */
  readonly preAuthentication: boolean;
}

/** Which routes' policies a pipeline phase applies. */
type Stage = 'all' | 'pre' | 'post' | 'failed';

/**
 * Applies the route's policy (its `@RateLimit()`, its controller's, or the module's default) in
 * one decision over all tiers. {@link RateLimitModule} runs it in two phases of Rampart's
 * pipeline, whatever the order of the imports: policies keyed by IP or route before
 * authentication (so failed credentials are limited too), policies keyed by user, API key or a
 * function after it; when authentication refuses a request, the latter still count it under the
 * anonymous (IP) key. Used alone (`@UseGuards(RateLimitGuard)`), `canActivate` applies the policy
 * at once.
 * @publicApi
 */
@Injectable()
export class RateLimitGuard implements CanActivate, OnModuleInit {
  /** Policies per controller and handler, resolved once: the hot path does no reflection. */
  private readonly routes = new WeakMap<object, Map<Handler, PreparedRoute | null>>();
  /** The same maps, iterable, for the start-up check of {@link requiredPhases}. */
  private readonly resolvedRoutes: Map<Handler, PreparedRoute | null>[] = [];

  constructor(
    private readonly reflector: Reflector,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    @Inject(RATE_LIMIT_OPTIONS) private readonly options: ResolvedRateLimitOptions,
    @Inject(RATE_LIMIT_STORAGE) private readonly storage: RateLimitStorage,
  ) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    return this.limit(context, 'all');
  }

  /** The `preAuthenticationLimits` phase: policies keyed by IP or route. */
  canActivatePreAuthentication(context: ExecutionContext): boolean | Promise<boolean> {
    return this.limit(context, 'pre');
  }

  /** The `postAuthenticationLimits` phase: policies keyed by the caller. */
  canActivatePostAuthentication(context: ExecutionContext): boolean | Promise<boolean> {
    return this.limit(context, 'post');
  }

  /**
   * Authentication refused the request: a policy keyed by the caller counts it under the anonymous
   * (IP) key, so a flood of bad tokens or API keys is answered 429 once over the limit. Function
   * keys are skipped: they may expect an authenticated caller.
   */
  async onAuthenticationFailed(context: ExecutionContext): Promise<void> {
    await this.limit(context, 'failed');
  }

  /** Phases the configured policies need: a per-user or per-API-key key needs `authenticate`. */
  requiredPhases(): readonly GuardPhase[] {
    const policies: (ResolvedPolicy | null | undefined)[] = [
      this.options.defaultPolicy,
      ...this.options.policies.values(),
    ];
    for (const byHandler of this.resolvedRoutes) for (const route of byHandler.values()) policies.push(route?.policy);
    return policies.some((p) => p && needsAuthentication(p.key)) ? ['authenticate'] : [];
  }

  private limit(context: ExecutionContext, stage: Stage): boolean | Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const route = this.routeOf(context.getClass(), context.getHandler() as Handler);
    if (!route) return true;
    if (stage === 'pre' && !route.preAuthentication) return true;
    if ((stage === 'post' || stage === 'failed') && route.preAuthentication) return true;
    if (stage === 'failed' && typeof route.policy.key === 'function') return true;
    const { policy } = route;
    const req = httpArgument(context, 'request');
    const cost = typeof policy.cost === 'number' ? policy.cost : policy.cost(context);
    if (!Number.isSafeInteger(cost) || cost < 1) {
      throw new TypeError(`The cost function of rate-limit policy "${policy.name}" returned ${cost}.`);
    }
    const key = resolveKey(policy.key, req, context);
    // One promise per request when the key is known synchronously (every key but a function's).
    if (typeof key === 'string') {
      return this.storage
        .decide(route.keyPrefix + key, policy.tiers, cost)
        .then((d) => this.apply(d, route, context, req, stage));
    }
    return key.then((k) =>
      this.storage
        .decide(route.keyPrefix + k, policy.tiers, cost)
        .then((d) => this.apply(d, route, context, req, stage)),
    );
  }

  private apply(
    decision: RateLimitDecision,
    route: PreparedRoute,
    context: ExecutionContext,
    req: object,
    stage: Stage,
  ): true {
    if (decision.admitted) {
      // A refused authentication answers 401 alone: the quota it spent is the anonymous one.
      if (stage === 'failed') return true;
      setAdmittedHeaders(
        rawResponse(httpArgument(context, 'response')),
        decision,
        route.policy.tiers,
        this.options.headers,
      );
      return true;
    }
    const headers = rateLimitHeaders(decision, this.options.headers);
    const tier = decision.limitedBy ?? constrainingTier(decision);
    const retryAfter = Number(headers['Retry-After']);
    const principal = principalOf(req);
    throw new RateLimitedError(`Too many requests: the "${tier.name}" limit is reached. Retry in ${retryAfter} s.`, {
      reason: 'rate_limited',
      headers,
      extensions: {
        limitedBy: tier.name,
        retryAfter,
        resetAt: new Date(Date.now() + retryAfter * 1000).toISOString(),
      },
      eventDetails: { policy: route.policy.name, tier: tier.name, degraded: decision.degraded },
      ...(principal === undefined ? {} : { principal }),
    });
  }

  /** The route's policy, resolved once per handler: the hot path does no reflection. */
  private routeOf(controller: object, handler: Handler): PreparedRoute | null {
    let byHandler = this.routes.get(controller);
    if (!byHandler) {
      this.routes.set(controller, (byHandler = new Map<Handler, PreparedRoute | null>()));
      this.resolvedRoutes.push(byHandler);
    }
    let route = byHandler.get(handler);
    if (route === undefined) {
      const policy = this.resolve(handler, controller);
      route = policy
        ? { policy, keyPrefix: `${policy.name}|`, preAuthentication: isPreAuthenticationKey(policy.key) }
        : null;
      byHandler.set(handler, route);
    }
    return route;
  }

  private resolve(handler: Handler, controller: object): ResolvedPolicy | null {
    const targets = [handler, controller as Handler];
    if (this.reflector.getAllAndOverride<boolean | undefined>(SKIP_RATE_LIMIT, targets)) return null;
    const metadata = this.reflector.getAllAndOverride<RateLimitMetadata | undefined>(RATE_LIMIT_POLICY, targets);
    if (!metadata) return this.options.defaultPolicy ?? null;
    if (typeof metadata.policy !== 'string') {
      return resolvePolicy(metadata.policy, metadata.fallbackName, this.options.algorithm);
    }
    const named = this.options.policies.get(metadata.policy);
    if (!named) {
      throw new InvalidOptionsError(
        'RATE_LIMIT_INVALID_OPTIONS',
        `${metadata.fallbackName} uses @RateLimit('${metadata.policy}'), but RateLimitModule has no such policy in \`policies\`.`,
      );
    }
    return named;
  }

  /** Resolves every route's policy at start-up: a wrong name fails the bootstrap, not a request. */
  onModuleInit(): void {
    for (const wrapper of this.discovery.getControllers()) {
      const controller = wrapper.metatype as (new (...args: unknown[]) => object) | null;
      if (!controller || !wrapper.instance) continue;
      const prototype = controller.prototype as Record<string, unknown>;
      for (const name of this.scanner.getAllMethodNames(prototype)) {
        const handler = prototype[name];
        if (typeof handler === 'function') this.routeOf(controller, handler as Handler);
      }
    }
  }
}
