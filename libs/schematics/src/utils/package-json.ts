import type { Tree } from '@angular-devkit/schematics';

/** The version of the Rampart packages this collection generates code for (they share one version). */
export function rampartVersion(): string {
  // The collection ships inside @rampart/schematics; its manifest sits two folders above dist/<schematic>/.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const manifest = require('../../package.json') as { version: string };
  return manifest.version;
}

/** Adds the missing `dependencies` of package.json (never changes a version the user chose). */
export function addDependencies(tree: Tree, dependencies: Record<string, string>): string[] {
  const text = tree.read('package.json')?.toString('utf8');
  if (text === undefined) return [];
  const manifest = JSON.parse(text) as {
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
  const declared = { ...manifest.devDependencies, ...manifest.dependencies };
  const missing = Object.entries(dependencies).filter(([name]) => !(name in declared));
  if (missing.length === 0) return [];
  const merged = { ...manifest.dependencies, ...Object.fromEntries(missing) };
  manifest.dependencies = Object.fromEntries(Object.entries(merged).sort(([a], [b]) => a.localeCompare(b)));
  const indentation = /^[ \t]+/m.exec(text)?.[0] ?? '  ';
  tree.overwrite('package.json', `${JSON.stringify(manifest, null, indentation)}\n`);
  return missing.map(([name]) => name);
}
