import type { INestApplication, Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { OAUTH_ERRORS_KEY } from './oauth-errors.decorator';
import {
  AUTH_MODE_KEY,
  IS_PUBLIC_KEY,
  RAMPART_AUTH_OPTIONS,
  SCOPES_KEY,
  type AuthMode,
  type ResolvedAuthOptions,
  type ScopeRequirement,
} from '@rampart/auth';
import {
  RATE_LIMIT_OPTIONS,
  RATE_LIMIT_POLICY,
  SKIP_RATE_LIMIT,
  type ResolvedRateLimitOptions,
} from '@rampart/rate-limit';

/** What Rampart enforces on one handler, read from its decorators and the app's options. */
export interface RouteSecurity {
  /** `public`, or the credentials required. */
  auth: 'public' | AuthMode;
  /** Alternatives: the credential must carry every scope of one of them. Empty: no scope needed. */
  scopes: string[][];
  rateLimited: boolean;
  /** Errors in RFC 6749 JSON (`@OAuthErrors()`), not problem+json. */
  oauthErrors: boolean;
  hasPathParameters: boolean;
  /** Request-body DTO classes, whose validation constraints the document shows. */
  bodyTypes: Type[];
}

type Handler = (...args: never[]) => unknown;

/**
 * `@Scopes('a','b') @Scopes({ anyOf: ['c','d'] })` is "a and b, and c or d": OpenAPI's security
 * requirements are alternatives of all-of lists, so each anyOf scope becomes one alternative.
 */
export function scopeAlternatives(requirements: readonly (ScopeRequirement | undefined)[]): string[][] {
  let alternatives: string[][] = [[]];
  for (const requirement of requirements) {
    if (!requirement) continue;
    const allOf = [...(requirement.allOf ?? [])];
    alternatives = alternatives.map((a) => [...a, ...allOf]);
    const anyOf = requirement.anyOf ?? [];
    if (anyOf.length > 0) alternatives = alternatives.flatMap((a) => anyOf.map((scope) => [...a, scope]));
  }
  return alternatives.map((a) => [...new Set(a)]).filter((a, i, all) => a.length > 0 || all.length === 1);
}

/** Each controller handler of `app` and what Rampart enforces on it. */
export function collectRouteSecurity(app: INestApplication): Map<Handler, RouteSecurity> {
  const discovery = app.get(DiscoveryService);
  const scanner = new MetadataScanner();
  const reflector = new Reflector();
  const authOptions = optionalProvider(app, RAMPART_AUTH_OPTIONS) as ResolvedAuthOptions | undefined;
  const rateLimitOptions = optionalProvider(app, RATE_LIMIT_OPTIONS) as ResolvedRateLimitOptions | undefined;
  const routes = new Map<Handler, RouteSecurity>();
  for (const wrapper of discovery.getControllers()) {
    const controller = wrapper.metatype as Type | undefined;
    if (!controller || typeof wrapper.instance !== 'object' || wrapper.instance === null) continue;
    const prototype = Object.getPrototypeOf(wrapper.instance) as Record<string, unknown>;
    for (const name of scanner.getAllMethodNames(prototype)) {
      const handler = prototype[name] as Handler;
      if (Reflect.getMetadata(METHOD_METADATA, handler) === undefined) continue;
      const targets = [handler, controller];
      const isPublic = reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC_KEY, targets) === true;
      const mode = reflector.getAllAndOverride<AuthMode | undefined>(AUTH_MODE_KEY, targets);
      const skip = reflector.getAllAndOverride<boolean | undefined>(SKIP_RATE_LIMIT, targets) === true;
      const policy = reflector.getAllAndOverride<unknown>(RATE_LIMIT_POLICY, targets);
      const path = String(Reflect.getMetadata(PATH_METADATA, handler) ?? '');
      const paramTypes = (Reflect.getMetadata('design:paramtypes', prototype, name) ?? []) as unknown[];
      routes.set(handler, {
        auth: !authOptions || isPublic ? 'public' : (mode ?? authOptions.defaultMode),
        scopes: isPublic ? [] : scopeAlternatives(reflector.getAll(SCOPES_KEY, targets)),
        rateLimited:
          rateLimitOptions !== undefined &&
          !skip &&
          (policy !== undefined || rateLimitOptions.defaultPolicy !== undefined),
        oauthErrors: reflector.getAllAndOverride<boolean | undefined>(OAUTH_ERRORS_KEY, targets) === true,
        hasPathParameters:
          /(^|\/):/.test(path) || /(^|\/):/.test(String(Reflect.getMetadata(PATH_METADATA, controller) ?? '')),
        bodyTypes: paramTypes.filter(isDtoClass),
      });
    }
  }
  return routes;
}

function isDtoClass(type: unknown): type is Type {
  return typeof type === 'function' && ![String, Number, Boolean, Object, Array, Promise].includes(type as never);
}

/** A provider of a module the app may not import (no RateLimitModule: no limits to document). */
export function optionalProvider(app: INestApplication, token: symbol): unknown {
  try {
    return app.get(token, { strict: false });
  } catch {
    return undefined;
  }
}
