import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { HostTree, type Tree } from '@angular-devkit/schematics';
import { SchematicTestRunner } from '@angular-devkit/schematics/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSchematicsCollection, repositoryRoot } from '../../../test/utils/schematics';

const fixture = join(repositoryRoot, 'test/fixtures/nest-app');

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** The fixture app (what `nest new` writes), optionally moved under `prefix` or with files changed. */
function appTree(prefix = '', changes: Record<string, string> = {}): Tree {
  const tree = new HostTree();
  for (const file of filesUnder(fixture)) {
    const path = relative(fixture, file);
    const target = path === 'package.json' || path === 'nest-cli.json' ? path : join(prefix, path);
    tree.create(target, readFileSync(file));
  }
  for (const [path, text] of Object.entries(changes)) tree.overwrite(path, text);
  return tree;
}

const read = (tree: Tree, path: string): string => {
  const content = tree.readText(path);
  return content;
};

function snapshot(tree: Tree): Map<string, string> {
  const files = new Map<string, string>();
  tree.visit((path) => files.set(path, read(tree, path)));
  return files;
}

let runner: SchematicTestRunner;
let collection: string;
beforeAll(() => {
  collection = buildSchematicsCollection();
  runner = new SchematicTestRunner('@rampart/schematics', collection);
}, 60_000);
afterAll(() => {
  rmSync(dirname(collection), { recursive: true, force: true });
});

describe('install', () => {
  it('wires RampartModule, useRampart, @Public() on the health route, the config, .env.example and the dependencies', async () => {
    const tree = await runner.runSchematic('install', { skipInstall: true }, appTree());
    const module = read(tree, '/src/app.module.ts');
    expect(module).toContain("import { RampartModule } from '@rampart/nest';");
    expect(module).toContain("import { rampartOptions } from './rampart.config.js';");
    expect(module).toMatch(
      /imports: \[RampartModule\.forRootAsync\(\{ libs: \['validation', 'auth', 'rateLimit', 'threat'\], useFactory: rampartOptions \}\)\]/,
    );
    const main = read(tree, '/src/main.ts');
    expect(main).toContain("import { useRampart } from '@rampart/nest';");
    // After the app exists and before it listens.
    expect(main.indexOf('useRampart(app);')).toBeGreaterThan(main.indexOf('NestFactory.create'));
    expect(main.indexOf('useRampart(app);')).toBeLessThan(main.indexOf('app.listen'));
    const controller = read(tree, '/src/app.controller.ts');
    expect(controller).toContain("import { Public } from '@rampart/auth';");
    expect(controller).toMatch(/@Public\(\)\n {2}@Get\('health'\)/);
    // The hello route is not a health check: it stays protected.
    expect(controller.match(/@Public\(\)/g)).toHaveLength(1);
    const config = read(tree, '/src/rampart.config.ts');
    expect(config).toContain("threat: { mode: 'monitor' }");
    expect(config).toContain("required(env, 'JWT_ISSUER')");
    const env = read(tree, '/.env.example');
    for (const name of ['JWT_ISSUER', 'JWT_AUDIENCE', 'JWKS_URL', 'REDIS_URL', 'TRUSTED_PROXIES']) {
      expect(env).toMatch(new RegExp(`^${name}=`, 'm'));
    }
    const manifest = JSON.parse(read(tree, '/package.json')) as { dependencies: Record<string, string> };
    expect(Object.keys(manifest.dependencies)).toEqual(
      expect.arrayContaining(['@rampart/nest', '@rampart/auth', 'class-validator']),
    );
    expect(runner.tasks).toEqual([]);
  });

  it('makes a terminus-style health controller public as a whole, and leaves other controllers alone', async () => {
    const tree = appTree();
    tree.create(
      '/src/health/health.controller.ts',
      "import { Controller, Get } from '@nestjs/common';\n\n@Controller('health')\nexport class HealthController {\n  @Get()\n  check() {\n    return { status: 'ok' };\n  }\n}\n",
    );
    tree.create(
      '/src/reports/reports.controller.ts',
      "import { Controller, Get } from '@nestjs/common';\n\n@Controller('reports')\nexport class ReportsController {\n  @Get('health-summary')\n  summary() {\n    return [];\n  }\n}\n",
    );
    const result = await runner.runSchematic('install', { skipInstall: true }, tree);
    expect(read(result, '/src/health/health.controller.ts')).toMatch(
      /import \{ Public \} from '@rampart\/auth';\n\n@Public\(\)\n@Controller\('health'\)/,
    );
    expect(read(result, '/src/reports/reports.controller.ts')).not.toContain('Public');
  });

  it('changes nothing when run a second time', async () => {
    const once = await runner.runSchematic('install', { skipInstall: true }, appTree());
    const first = snapshot(once);
    const twice = await runner.runSchematic('install', { skipInstall: true }, once);
    expect(snapshot(twice)).toEqual(first);
  });

  it('schedules npm install when it added dependencies, and not with --skip-install', async () => {
    await runner.runSchematic('install', {}, appTree());
    expect(runner.tasks.map((task) => task.name)).toEqual(['node-package']);
  });

  it('keeps what the user wrote: an existing .env.example and rampart.config.ts, a hand-written RampartModule', async () => {
    const tree = appTree('', {});
    tree.create('/.env.example', 'DATABASE_URL=postgres://localhost/app');
    tree.create('/src/rampart.config.ts', 'export const rampartOptions = () => ({});\n');
    const result = await runner.runSchematic('install', { skipInstall: true }, tree);
    const env = read(result, '/.env.example');
    expect(env.startsWith('DATABASE_URL=postgres://localhost/app\n')).toBe(true);
    expect(env).toMatch(/^JWT_ISSUER=/m);
    expect(read(result, '/src/rampart.config.ts')).toBe('export const rampartOptions = () => ({});\n');
  });

  it('adds an imports array to a module that has none, and writes imports without .js in a CommonJS app', async () => {
    const tree = appTree('', {
      'src/app.module.ts':
        "import { Module } from '@nestjs/common';\n\n@Module({ controllers: [] })\nexport class AppModule {}\n",
      'src/main.ts':
        "import { NestFactory } from '@nestjs/core';\nimport { AppModule } from './app.module';\n\nasync function bootstrap() {\n  const app = await NestFactory.create(AppModule);\n  await app.listen(3000);\n}\nvoid bootstrap();\n",
    });
    const result = await runner.runSchematic('install', { skipInstall: true }, tree);
    const module = read(result, '/src/app.module.ts');
    expect(module).toContain("import { rampartOptions } from './rampart.config';");
    expect(module).toMatch(/@Module\(\{ imports: \[RampartModule\.forRootAsync\(.*\)\],\n {2}controllers: \[\] \}\)/);
  });

  it('edits the project named by --project in a monorepo, and names the projects when it does not exist', async () => {
    const tree = appTree('apps/api');
    tree.overwrite(
      '/nest-cli.json',
      JSON.stringify({
        monorepo: true,
        sourceRoot: 'apps/web/src',
        projects: {
          api: { type: 'application', root: 'apps/api', sourceRoot: 'apps/api/src' },
          shared: { type: 'library', root: 'libs/shared', sourceRoot: 'libs/shared/src' },
        },
      }),
    );
    const result = await runner.runSchematic('install', { project: 'api', skipInstall: true }, tree);
    expect(read(result, '/apps/api/src/app.module.ts')).toContain('RampartModule.forRootAsync');
    expect(read(result, '/apps/api/src/main.ts')).toContain('useRampart(app);');
    expect(result.exists('/apps/api/src/rampart.config.ts')).toBe(true);
    expect(result.exists('/apps/api/.env.example')).toBe(true);
    await expect(runner.runSchematic('install', { project: 'admin' }, tree)).rejects.toThrow(
      /No project "admin".*api, shared/,
    );
    await expect(runner.runSchematic('install', { project: 'shared' }, tree)).rejects.toThrow(
      /is a library, not an application/,
    );
  });

  it('refuses, with a clear message, a folder that is not a Nest application', async () => {
    await expect(runner.runSchematic('install', {}, new HostTree())).rejects.toThrow(
      /not a Nest application.*@nestjs\/core/,
    );
    const angular = new HostTree();
    angular.create('/package.json', JSON.stringify({ dependencies: { '@nestjs/core': '^12.0.0' } }));
    angular.create('/src/main.ts', "import { bootstrapApplication } from '@angular/platform-browser';\n");
    await expect(runner.runSchematic('install', {}, angular)).rejects.toThrow(
      /src\/main\.ts does not exist or does not call NestFactory/,
    );
  });
});

describe('resource', () => {
  it('generates module, controller, service, DTOs, entity and an e2e spec, and registers the module', async () => {
    const tree = await runner.runSchematic('resource', { name: 'notes' }, appTree());
    expect(tree.files.filter((path) => path.startsWith('/src/notes/') || path.startsWith('/test/')).sort()).toEqual([
      '/src/notes/dto/create-note.dto.ts',
      '/src/notes/dto/list-notes.query.ts',
      '/src/notes/dto/update-note.dto.ts',
      '/src/notes/entities/note.entity.ts',
      '/src/notes/notes.controller.ts',
      '/src/notes/notes.module.ts',
      '/src/notes/notes.service.ts',
      '/test/notes.e2e-spec.ts',
    ]);
    const controller = read(tree, '/src/notes/notes.controller.ts');
    for (const route of ['@Post()', "@Patch(':id')", "@Delete(':id')"]) {
      expect(controller).toContain(`${route}\n  @Scopes('notes:write')\n  @RateLimit(WRITE_LIMIT)`);
    }
    for (const route of ['@Get()', "@Get(':id')"]) expect(controller).toContain(`${route}\n  @Scopes('notes:read')\n`);
    expect(controller).toContain('@Query() query: ListNotesQuery');
    expect(controller.match(/ParseUUIDPipe\) id: string/g)).toHaveLength(3);
    expect(read(tree, '/src/notes/notes.service.ts')).toContain('ownerId !== ownerId) throw new NotFoundError()');
    expect(read(tree, '/src/notes/dto/create-note.dto.ts')).toContain('@PlainText({ maxLength: 200 })');
    const spec = read(tree, '/test/notes.e2e-spec.ts');
    expect(spec).toContain("import { NotesModule } from '../src/notes/notes.module.js';");
    expect(spec).toContain("import { rampartOptions } from '../src/rampart.config.js';");
    expect(read(tree, '/src/app.module.ts')).toMatch(/imports: \[NotesModule\]/);
    expect(read(tree, '/src/app.module.ts')).toContain("import { NotesModule } from './notes/notes.module.js';");
  });

  it('follows --path, --flat, --no-spec, --skip-import and a name with a folder', async () => {
    const tree = await runner.runSchematic(
      'resource',
      { name: 'billing/invoices', path: 'modules', flat: true, spec: false, skipImport: true },
      appTree(),
    );
    expect(tree.exists('/src/modules/billing/invoices.controller.ts')).toBe(true);
    expect(read(tree, '/src/modules/billing/invoices.controller.ts')).toContain("@Scopes('invoices:write')");
    expect(tree.files.some((path) => path.startsWith('/test/'))).toBe(false);
    expect(read(tree, '/src/app.module.ts')).not.toContain('InvoicesModule');
  });

  it('leaves an existing resource alone, and refuses a name that is not an identifier', async () => {
    const once = await runner.runSchematic('resource', { name: 'notes' }, appTree());
    const twice = await runner.runSchematic('resource', { name: 'notes' }, once);
    expect(snapshot(twice)).toEqual(snapshot(once));
    await expect(runner.runSchematic('resource', { name: '../../etc' }, appTree())).rejects.toThrow(
      /not a usable name/,
    );
    await expect(runner.runSchematic('resource', { name: 'notes', language: 'js' }, appTree())).rejects.toThrow(
      /TypeScript only/,
    );
  });

  it('refuses a folder that is not a Nest application', async () => {
    await expect(runner.runSchematic('resource', { name: 'notes' }, new HostTree())).rejects.toThrow(
      /not a Nest application/,
    );
  });
});

describe('api-key-client', () => {
  it('generates a partner controller reachable with API keys only, limited per key, and registers it', async () => {
    const tree = await runner.runSchematic('api-key-client', { name: 'partner-orders' }, appTree());
    const controller = read(tree, '/src/partner-orders/partner-orders.controller.ts');
    expect(controller).toContain("@Controller('partners/partner-orders')\n@Auth('apiKey')\n@RateLimit({ key: 'apiKey'");
    expect(controller).toContain("@Scopes('partner-orders:read')");
    expect(controller).toContain("@Scopes('partner-orders:write')");
    expect(read(tree, '/src/app.module.ts')).toContain('PartnerOrdersModule');
  });
});

describe('webhook-receiver', () => {
  it('generates a verified endpoint, keeps the raw body in main.ts and declares the secret', async () => {
    const tree = await runner.runSchematic('webhook-receiver', { name: 'payments', provider: 'stripe' }, appTree());
    const controller = read(tree, '/src/payments/payments-webhooks.controller.ts');
    expect(controller).toContain('@Public()\nexport class PaymentsWebhooksController');
    expect(controller).toContain("@WebhookEndpoint('payments')");
    expect(read(tree, '/src/payments/payments-webhooks.module.ts')).toContain(
      "endpoints: { 'payments': { scheme: 'stripe', secrets: secrets('PAYMENTS_WEBHOOK_SECRETS') } }",
    );
    expect(read(tree, '/src/main.ts')).toContain('NestFactory.create(AppModule, { rawBody: true })');
    expect(read(tree, '/.env.example')).toMatch(/^PAYMENTS_WEBHOOK_SECRETS=$/m);
    expect(read(tree, '/src/app.module.ts')).toContain('PaymentsWebhooksModule');
  });

  it('adds rawBody to existing NestFactory options, once', async () => {
    const main =
      "import { NestFactory } from '@nestjs/core';\nimport { AppModule } from './app.module.js';\n\nconst app = await NestFactory.create(AppModule, { bufferLogs: true });\nawait app.listen(3000);\n";
    const tree = await runner.runSchematic(
      'webhook-receiver',
      { name: 'github', provider: 'github' },
      appTree('', { 'src/main.ts': main }),
    );
    expect(read(tree, '/src/main.ts')).toContain('NestFactory.create(AppModule, { rawBody: true, bufferLogs: true })');
    const again = await runner.runSchematic('webhook-receiver', { name: 'billing' }, tree);
    expect(read(again, '/src/main.ts').match(/rawBody/g)).toHaveLength(1);
    await expect(
      runner.runSchematic('webhook-receiver', { name: 'x', provider: 'paypal' }, appTree()),
    ).rejects.toThrow();
  });
});

describe('--format', () => {
  const generate = (format: boolean): Promise<Tree> =>
    runner.runSchematic('webhook-receiver', { name: 'payments', provider: 'stripe', format }, appTree());

  it("runs the project's prettier, with its configuration, on every file written or edited", async () => {
    const plain = await generate(false);
    const formatted = await generate(true);
    const prettier = await import('prettier');
    const changed = [...snapshot(plain)].filter(([path, text]) => read(formatted, path) !== text).map(([p]) => p);
    // The template quotes a key prettier writes bare: the step really ran, on a generated file.
    expect(changed).toContain('/src/payments/payments-webhooks.module.ts');
    expect(read(formatted, '/src/payments/payments-webhooks.module.ts')).toContain("payments: { scheme: 'stripe'");
    for (const path of changed) {
      const filepath = join(repositoryRoot, path);
      const config = (await prettier.resolveConfig(filepath)) ?? {};
      expect(read(formatted, path), path).toBe(await prettier.format(read(plain, path), { ...config, filepath }));
    }
    // Files the schematic did not touch, and files prettier has no parser for, stay byte for byte.
    expect(changed.every((path) => path.startsWith('/src/'))).toBe(true);
    expect(read(formatted, '/.env.example')).toBe(read(plain, '/.env.example'));
  });

  it('leaves the files as generated, and says so, when the project has no prettier', async () => {
    const projectWithoutPrettier = mkdtempSync(join(tmpdir(), 'rampart-no-prettier-'));
    const warnings: string[] = [];
    const subscription = runner.logger.subscribe((entry) => {
      if (entry.level === 'warn') warnings.push(entry.message);
    });
    const cwd = process.cwd();
    try {
      process.chdir(projectWithoutPrettier);
      const tree = await generate(true);
      expect(snapshot(tree)).toEqual(snapshot(await generate(false)));
    } finally {
      process.chdir(cwd);
      subscription.unsubscribe();
      rmSync(projectWithoutPrettier, { recursive: true, force: true });
    }
    expect(warnings).toContain('--format: prettier is not installed in this project; files are left as generated.');
  });
});
