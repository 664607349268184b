import { SetMetadata } from '@nestjs/common';
import { SCOPES_KEY } from '../auth.constants';

/** Scopes a route needs: all of `allOf` and, when given, at least one of `anyOf`. */
export interface ScopeRequirement {
  allOf?: readonly string[];
  anyOf?: readonly string[];
}

/**
 * Scopes the credential must carry. `@Scopes('a', 'b')` needs both; `@Scopes({ anyOf: ['a', 'b'] })`
 * needs one. On a controller and a handler, both apply. Missing scopes: 403 `insufficient_scope`.
 * @publicApi
 * @example
 * @Scopes('notes:write') @Post() create() { ... }
 * @Scopes({ anyOf: ['reports:read', 'admin'] }) @Get('reports') list() { ... }
 */
export function Scopes(...scopes: [ScopeRequirement] | string[]): MethodDecorator & ClassDecorator {
  const [first] = scopes;
  const requirement: ScopeRequirement =
    typeof first === 'object' ? { allOf: first.allOf ?? [], anyOf: first.anyOf ?? [] } : { allOf: scopes as string[] };
  return SetMetadata(SCOPES_KEY, requirement);
}
