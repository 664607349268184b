import { join } from '@angular-devkit/core';
import type { Tree } from '@angular-devkit/schematics';
import type { NestProject } from './project';

/** A variable of .env.example: its name, a placeholder value and why it is there. */
export type EnvironmentVariable = readonly [name: string, example: string, why: string];

/** Adds the variables .env.example (beside the project's package.json) does not declare yet. */
export function addEnvironmentVariables(
  tree: Tree,
  project: NestProject,
  variables: readonly EnvironmentVariable[],
): void {
  const path = join(project.root, '.env.example');
  const existing = tree.read(path)?.toString('utf8') ?? '';
  const declared = new Set(existing.split('\n').map((line) => line.split('=')[0]?.trim()));
  const missing = variables.filter(([name]) => !declared.has(name));
  if (missing.length === 0) return;
  const lines = missing.map(([name, example, why]) => `# ${why}\n${name}=${example}`);
  const header =
    existing === '' ? '# Settings and secrets the application reads. Copy to .env; never commit a real one.\n' : '\n';
  const separator = existing === '' || existing.endsWith('\n') ? '' : '\n';
  const text = `${existing}${separator}${header}${lines.join('\n')}\n`;
  if (tree.exists(path)) tree.overwrite(path, text);
  else tree.create(path, text);
}
