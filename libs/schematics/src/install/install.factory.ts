import { join } from '@angular-devkit/core';
import {
  apply,
  applyTemplates,
  chain,
  mergeWith,
  move,
  noop,
  SchematicsException,
  url,
  type Rule,
} from '@angular-devkit/schematics';
import { NodePackageInstallTask } from '@angular-devkit/schematics/tasks';
import {
  addNamedImports,
  addToMetadataArray,
  findModuleMetadata,
  findNestFactoryCreate,
  findRouteMethods,
  indentationOf,
  mentions,
  parseSource,
} from '../utils/ast';
import { addEnvironmentVariables, type EnvironmentVariable } from '../utils/environment';
import { addDependencies, rampartVersion } from '../utils/package-json';
import { formatFiles } from '../utils/format';
import { resolveNestProject, type NestProject } from '../utils/project';
import type { InstallOptions } from './install.options';

/** Paths whose GET route is a health check, left reachable without a token. */
const HEALTH_PATHS: ReadonlySet<string> = new Set(['health', 'healthz', 'livez', 'readyz']);

/** What the generated configuration reads; written to .env.example with a placeholder each. */
const ENVIRONMENT: readonly EnvironmentVariable[] = [
  ['JWT_ISSUER', 'https://auth.example.com', 'The only accepted `iss` of access tokens.'],
  ['JWT_AUDIENCE', 'https://api.example.com', 'This API, as the `aud` of its access tokens.'],
  ['JWKS_URL', 'https://auth.example.com/.well-known/jwks.json', "The issuer's public keys."],
  ['JWT_PUBLIC_KEYS', '', 'Instead of JWKS_URL: a JSON array of public JWKs (tests, air-gapped deployments).'],
  ['REDIS_URL', '', 'Shared state (limits, bans, revocations). Empty: in memory, one instance only.'],
  ['TRUSTED_PROXIES', '', 'Comma-separated addresses or ranges of your load balancers.'],
];

const RUNTIME_PACKAGES = [
  '@rampart/auth',
  '@rampart/core',
  '@rampart/errors',
  '@rampart/headers',
  '@rampart/nest',
  '@rampart/rate-limit',
  '@rampart/threat',
  '@rampart/validation',
];

/**
 * Wires Rampart into an existing Nest application: `RampartModule.forRootAsync` in the root module,
 * `useRampart(app)` in main.ts, `@Public()` on the health route, src/rampart.config.ts and
 * .env.example. Every step checks first, so a second run changes nothing.
 */
export function install(options: InstallOptions): Rule {
  return (tree, context) => {
    const project = resolveNestProject(tree, options);
    const rules: Rule[] = [
      writeConfiguration(project),
      registerModule(project),
      bootstrapPlatformChain(project),
      exposeHealthRoutes(project),
      writeEnvironmentExample(project),
      formatFiles(options.format),
    ];
    const added = addDependencies(tree, {
      ...Object.fromEntries(RUNTIME_PACKAGES.map((name) => [name, `^${rampartVersion()}`])),
      'class-transformer': '^0.5.1',
      'class-validator': '^0.15.1',
    });
    if (added.length > 0 && options.skipInstall !== true) context.addTask(new NodePackageInstallTask());
    return chain(rules);
  };
}

function writeConfiguration(project: NestProject): Rule {
  return (tree) =>
    // A configuration the user already has (or edited) is theirs.
    tree.exists(join(project.sourceRoot, 'rampart.config.ts'))
      ? noop()
      : mergeWith(apply(url('../../schematics/install/files'), [applyTemplates({}), move(project.sourceRoot)]));
}

function registerModule(project: NestProject): Rule {
  return (tree) => {
    const path = join(project.sourceRoot, 'app.module.ts');
    const text = tree.read(path)?.toString('utf8');
    if (text === undefined) {
      throw new SchematicsException(`${path} not found: install edits the root module of a Nest application.`);
    }
    const source = parseSource(path, text);
    const metadata = findModuleMetadata(source);
    if (!metadata) throw new SchematicsException(`${path} has no @Module({ ... }) to add RampartModule to.`);
    if (mentions(source, 'RampartModule')) return;
    const recorder = tree.beginUpdate(path);
    addNamedImports(source, recorder, ['RampartModule'], '@rampart/nest');
    addNamedImports(source, recorder, ['rampartOptions'], `./rampart.config${project.importSuffix}`);
    addToMetadataArray(
      metadata,
      recorder,
      'imports',
      'RampartModule',
      // Async: the environment is read when the application starts, not when the module file loads.
      `RampartModule.forRootAsync({ libs: ['validation', 'auth', 'rateLimit', 'threat'], useFactory: rampartOptions })`,
    );
    tree.commitUpdate(recorder);
  };
}

function bootstrapPlatformChain(project: NestProject): Rule {
  return (tree) => {
    const text = tree.read(project.mainFile)?.toString('utf8') ?? '';
    const source = parseSource(project.mainFile, text);
    if (mentions(source, 'useRampart')) return;
    const created = findNestFactoryCreate(source);
    if (!created?.variable) {
      throw new SchematicsException(
        `${project.mainFile}: no \`const app = await NestFactory.create(...)\` found; add useRampart(app) after it by hand.`,
      );
    }
    const recorder = tree.beginUpdate(project.mainFile);
    addNamedImports(source, recorder, ['useRampart'], '@rampart/nest');
    const indentation = indentationOf(source, created.statement);
    recorder.insertLeft(
      created.statement.getEnd(),
      `\n${indentation}// Request context, security headers, bans, HTTPS redirect, request limits and CORS, in one order.\n${indentation}useRampart(${created.variable});`,
    );
    tree.commitUpdate(recorder);
  };
}

function exposeHealthRoutes(project: NestProject): Rule {
  return (tree) => {
    tree.getDir(project.sourceRoot).visit((path) => {
      if (!path.endsWith('.ts') || path.endsWith('.spec.ts') || path.endsWith('.d.ts')) return;
      const text = tree.read(path)?.toString('utf8') ?? '';
      if (!text.includes('@Controller')) return;
      const source = parseSource(path, text);
      const routes = findRouteMethods(source, HEALTH_PATHS).filter((route) => !route.decorators.includes('Public'));
      if (routes.length === 0) return;
      const recorder = tree.beginUpdate(path);
      addNamedImports(source, recorder, ['Public'], '@rampart/auth');
      for (const route of routes) {
        // A load balancer's probe carries no token; the route stays rate limited and inspected.
        recorder.insertLeft(route.node.getStart(), `@Public()\n${indentationOf(source, route.node)}`);
      }
      tree.commitUpdate(recorder);
    });
  };
}

function writeEnvironmentExample(project: NestProject): Rule {
  return (tree) => {
    addEnvironmentVariables(tree, project, ENVIRONMENT);
  };
}
