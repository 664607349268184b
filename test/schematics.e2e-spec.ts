import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { HostTree, type Tree } from '@angular-devkit/schematics';
import { SchematicTestRunner } from '@angular-devkit/schematics/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSchematicsCollection, repositoryRoot } from './utils/schematics';

// A fresh Nest 12 app (the committed fixture: what `nest new --type esm` writes, no network),
// through `install`, `resource notes`, `api-key-client` and `webhook-receiver`, then built, linted
// and tested with the tools it declares, resolving @rampart/* to the workspace's built packages.
const fixture = join(repositoryRoot, 'test/fixtures/nest-app');
const USED_PACKAGES = [
  'auth',
  'core',
  'errors',
  'headers',
  'nest',
  'rate-limit',
  'testing',
  'threat',
  'validation',
  'webhooks',
];

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (entry === 'node_modules') return [];
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

function treeOf(dir: string): Tree {
  const tree = new HostTree();
  for (const file of filesUnder(dir)) tree.create(relative(dir, file), readFileSync(file));
  return tree;
}

function writeTree(tree: Tree, dir: string): void {
  tree.visit((path) => {
    const target = join(dir, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, tree.readText(path));
  });
}

/** Runs a tool of the workspace in the generated app, as its own npm script would. */
function run(app: string, script: string, args: string[]): string {
  // The outer Vitest's variables would make the inner one believe it is a worker.
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('VITEST')));
  try {
    return execFileSync(process.execPath, [join(repositoryRoot, 'node_modules', script), ...args], {
      cwd: app,
      env: { ...env, NODE_ENV: 'test', NO_COLOR: '1', FORCE_COLOR: '0' },
      encoding: 'utf8',
      stdio: 'pipe',
    });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${script} ${args.join(' ')} failed in the generated app:\n${stdout ?? ''}\n${stderr ?? ''}`, {
      cause: error,
    });
  }
}

describe('schematics on a fresh Nest application', () => {
  let app: string;
  let collection: string | undefined;

  beforeAll(async () => {
    const missing = USED_PACKAGES.filter((lib) => !existsSync(join(repositoryRoot, 'libs', lib, 'dist/index.d.ts')));
    if (missing.length > 0) {
      throw new Error(
        `The generated app uses the built packages; build them first (npm run build). Missing: ${missing.join(', ')}`,
      );
    }
    collection = buildSchematicsCollection();
    const runner = new SchematicTestRunner('@rampart/schematics', collection);
    app = mkdtempSync(join(tmpdir(), 'rampart-generated-app-'));
    cpSync(fixture, app, { recursive: true });
    let tree = treeOf(app);
    tree = await runner.runSchematic('install', { skipInstall: true }, tree);
    tree = await runner.runSchematic('resource', { name: 'notes' }, tree);
    tree = await runner.runSchematic('api-key-client', { name: 'partner-orders' }, tree);
    tree = await runner.runSchematic('webhook-receiver', { name: 'payments' }, tree);
    writeTree(tree, app);
    cpSync(
      join(repositoryRoot, 'test/fixtures/nest-app-checks/installed-app.e2e-spec.ts'),
      join(app, 'test/installed-app.e2e-spec.ts'),
    );
    // What `npm install` would give it: the workspace's node_modules, where @rampart/* are the built libs.
    symlinkSync(join(repositoryRoot, 'node_modules'), join(app, 'node_modules'), 'dir');
  }, 120_000);

  afterAll(() => {
    if (collection) rmSync(dirname(collection), { recursive: true, force: true });
    // KEEP_GENERATED_APP=1 leaves it on disk, to look at what a failing step saw.
    if (app && !process.env.KEEP_GENERATED_APP) rmSync(app, { recursive: true, force: true });
    else if (app) console.log(`generated app kept in ${app}`);
  });

  it('builds (tsc, strict)', () => {
    run(app, 'typescript/bin/tsc', ['-p', 'tsconfig.json']);
    expect(existsSync(join(app, 'dist/src/notes/notes.controller.js'))).toBe(true);
  }, 120_000);

  it('lints clean (typescript-eslint, type-checked rules)', () => {
    run(app, 'eslint/bin/eslint.js', ['--max-warnings', '0', 'src', 'test']);
  }, 120_000);

  it('passes its generated e2e spec (401 without a token, 400 on mass assignment, 404 for a stranger) and boots as installed', () => {
    const output = run(app, 'vitest/vitest.mjs', ['run', '--config', 'vitest.config.e2e.ts', '--reporter', 'verbose']);
    // The generated spec's 7 tests, and 7 on the app as install wired it.
    expect(output).toMatch(/Tests\s+14 passed \(14\)/);
  }, 180_000);
});
