import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { httpArgument, PerRoute, principalOf } from '@rampart/core';
import { IS_PUBLIC_KEY, RAMPART_AUTH_OPTIONS, ROLES_KEY, SCOPES_KEY } from '../auth.constants';
import { insufficientScope, roleRequired } from '../auth.errors';
import type { ResolvedAuthOptions } from '../auth.options';
import type { ScopeRequirement } from '../decorators/scopes.decorator';
import type { AuthenticatedRequest } from '../principal';
import { effectiveRoles } from '../roles';

/**
 * The scopes a request carries. With a user token and an API key (`@Auth('both')`), only scopes
 * both grant: the application acting for the user may do no more than either allows.
 */
export function grantedScopes(req: AuthenticatedRequest): Set<string> {
  const { user, apiKey } = req;
  if (user && apiKey) return new Set(user.scopes.filter((s) => apiKey.scopes.includes(s)));
  return new Set(user?.scopes ?? apiKey?.scopes ?? []);
}

/**
 * Checks `@Scopes()` and `@Roles()` after authentication. Requirements on the controller and on
 * the handler both apply. Runs after {@link AuthenticationGuard} (registered after it).
 * @publicApi
 */
@Injectable()
export class AuthorizationGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(RAMPART_AUTH_OPTIONS) private readonly options: ResolvedAuthOptions,
  ) {}

  /** Each route's `@Scopes()` and `@Roles()` (method and class), read once; undefined for `@Public()`. */
  private readonly routes = new PerRoute((handler, controller) => {
    const targets = [handler, controller];
    if (this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC_KEY, targets) === true) return undefined;
    return {
      scopeRequirements: this.reflector
        .getAll<(ScopeRequirement | undefined)[]>(SCOPES_KEY, targets)
        .filter((r) => r !== undefined),
      roleRequirements: this.reflector
        .getAll<(string[] | undefined)[]>(ROLES_KEY, targets)
        .filter((r) => r !== undefined),
    };
  });

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const route = this.routes.of(context);
    if (route === undefined) return true;
    const req = httpArgument<AuthenticatedRequest>(context, 'request');
    const principal = principalOf(req);

    const { scopeRequirements, roleRequirements } = route;
    const granted = grantedScopes(req);
    for (const requirement of scopeRequirements) {
      const allOf = requirement.allOf ?? [];
      const anyOf = requirement.anyOf ?? [];
      if (!allOf.every((s) => granted.has(s))) throw insufficientScope(allOf, false, this.options.realm, principal);
      if (anyOf.length > 0 && !anyOf.some((s) => granted.has(s))) {
        throw insufficientScope(anyOf, true, this.options.realm, principal);
      }
    }

    if (roleRequirements.length > 0) {
      // Roles belong to users: an API key alone never satisfies @Roles().
      const roles = effectiveRoles(req.user?.roles ?? [], this.options.roleHierarchy);
      for (const allowed of roleRequirements) {
        if (!allowed.some((role) => roles.has(role))) throw roleRequired(principal);
      }
    }
    return true;
  }
}
