import { Inject, Injectable, Logger, RequestMethod, type OnApplicationBootstrap, type Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { InvalidOptionsError } from '@rampart/core';
import { AUTH_MODE_KEY, IS_PUBLIC_KEY, RAMPART_AUTH_OPTIONS, ROLES_KEY, SCOPES_KEY } from '../auth.constants';
import type { AuthMode, ResolvedAuthOptions } from '../auth.options';
import type { ScopeRequirement } from '../decorators/scopes.decorator';

/** One route and how it is protected. @publicApi */
export interface RouteProtection {
  method: string;
  path: string;
  controller: string;
  handler: string;
  /** `public`, or the credentials required. */
  auth: 'public' | AuthMode;
  /** e.g. `notes:read` (all of) or `any(a|b)`; '' when none. */
  scopes: string;
  /** Roles of which the user needs one; '' when none. */
  roles: string;
  /** Whether the route carries an auth decorator, rather than falling back to the default. */
  explicit: boolean;
  notes: string;
}

type Handler = (...args: never[]) => unknown;

function joinPath(...parts: unknown[]): string {
  const segments = parts
    .map((p) => (Array.isArray(p) ? String(p[0] ?? '') : typeof p === 'string' ? p : ''))
    .flatMap((p) => p.split('/'))
    .filter((p) => p.length > 0);
  return `/${segments.join('/')}`;
}

function describeScopes(requirements: (ScopeRequirement | undefined)[]): string {
  return requirements
    .filter((r): r is ScopeRequirement => r !== undefined)
    .flatMap((r) => [...(r.allOf ?? []), ...(r.anyOf?.length ? [`any(${r.anyOf.join('|')})`] : [])])
    .join(' ');
}

/**
 * The table of every route and its protection (OWASP API9: know your API), built at start,
 * printed in development and available as data (`inventory.routes`). With
 * `requireExplicitDecision`, start-up fails while a route has no auth decorator.
 * @publicApi
 * @example
 * app.get(RouteInventory).routes.filter((r) => r.auth === 'public')
 */
@Injectable()
export class RouteInventory implements OnApplicationBootstrap {
  private readonly logger = new Logger('RouteInventory');
  private table: readonly RouteProtection[] = [];
  private scopes: ReadonlySet<string> = new Set();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    @Inject(RAMPART_AUTH_OPTIONS) private readonly options: ResolvedAuthOptions,
  ) {}

  get routes(): readonly RouteProtection[] {
    return this.table;
  }

  /** Every scope some route requires with `@Scopes()`: what a credential's scope can mean here. */
  get declaredScopes(): ReadonlySet<string> {
    return this.scopes;
  }

  onApplicationBootstrap(): void {
    const declared = new Set<string>();
    this.table = Object.freeze(this.collect(declared));
    this.scopes = declared;
    const undecided = this.table.filter((r) => !r.explicit);
    if (this.options.inventory.print) this.logger.log(`Routes and their protection:\n${this.format()}`);
    if (this.options.inventory.requireExplicitDecision && undecided.length > 0) {
      throw new InvalidOptionsError(
        'AUTH_INVALID_OPTIONS',
        `These routes have no explicit auth decision (@Public(), @Auth(), @Scopes() or @Roles()): ${undecided
          .map((r) => `${r.method} ${r.path} (${r.controller}.${r.handler})`)
          .join(', ')}.`,
      );
    }
  }

  private collect(declared: Set<string>): RouteProtection[] {
    const rows: RouteProtection[] = [];
    for (const wrapper of this.discovery.getControllers()) {
      const controller = wrapper.metatype as Type | undefined;
      if (!controller || typeof wrapper.instance !== 'object' || wrapper.instance === null) continue;
      const prototype = Object.getPrototypeOf(wrapper.instance) as Record<string, unknown>;
      for (const name of this.scanner.getAllMethodNames(prototype)) {
        const handler = prototype[name] as Handler;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        if (method === undefined) continue;
        rows.push(this.describe(controller, handler, name, method, declared));
      }
    }
    return rows.sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
  }

  private describe(
    controller: Type,
    handler: Handler,
    name: string,
    method: RequestMethod,
    declared: Set<string>,
  ): RouteProtection {
    const targets = [handler, controller];
    const isPublic = this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC_KEY, targets) === true;
    const mode = this.reflector.getAllAndOverride<AuthMode | undefined>(AUTH_MODE_KEY, targets);
    const scopes = this.reflector.getAll<(ScopeRequirement | undefined)[]>(SCOPES_KEY, targets);
    const roles = this.reflector.getAll<(string[] | undefined)[]>(ROLES_KEY, targets);
    if (!isPublic) {
      for (const r of scopes) for (const scope of [...(r?.allOf ?? []), ...(r?.anyOf ?? [])]) declared.add(scope);
    }
    const explicit =
      isPublic || mode !== undefined || scopes.some((s) => s !== undefined) || roles.some((r) => r !== undefined);
    return {
      method: RequestMethod[method],
      path: joinPath(Reflect.getMetadata(PATH_METADATA, controller), Reflect.getMetadata(PATH_METADATA, handler)),
      controller: controller.name,
      handler: name,
      auth: isPublic ? 'public' : (mode ?? this.options.defaultMode),
      scopes: isPublic ? '' : describeScopes(scopes),
      roles: isPublic
        ? ''
        : roles
            .filter((r) => r !== undefined)
            .map((r) => r.join('|'))
            .join(' & '),
      explicit,
      notes: this.options.inventory.annotate?.(handler, controller) ?? (explicit ? '' : 'default (no decorator)'),
    };
  }

  /** The table as aligned text. */
  format(): string {
    const header = ['METHOD', 'PATH', 'AUTH', 'SCOPES', 'ROLES', 'NOTES'];
    const lines = this.table.map((r) => [r.method, r.path, r.auth, r.scopes, r.roles, r.notes]);
    const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
    return [header, ...lines]
      .map((cols) =>
        cols
          .map((c, i) => c.padEnd(widths[i] ?? 0))
          .join('  ')
          .trimEnd(),
      )
      .join('\n');
  }
}
