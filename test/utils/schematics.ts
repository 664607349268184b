import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const repositoryRoot = resolve(__dirname, '../..');
const packageDir = join(repositoryRoot, 'libs/schematics');

/**
 * Compiles @rampart/schematics into a folder of its own (never the shared dist/, which another
 * spec may be reading) laid out as the published package: collection.json, schematics/ and dist/.
 * Returns the path of its collection.json, for SchematicTestRunner.
 */
export function buildSchematicsCollection(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-schematics-'));
  for (const entry of ['collection.json', 'package.json', 'schematics']) {
    cpSync(join(packageDir, entry), join(dir, entry), { recursive: true });
  }
  // The compiled factories resolve @angular-devkit/* and typescript as an installed package would.
  symlinkSync(join(repositoryRoot, 'node_modules'), join(dir, 'node_modules'), 'dir');
  execFileSync(
    process.execPath,
    [
      join(repositoryRoot, 'node_modules/typescript/bin/tsc'),
      '-p',
      join(packageDir, 'tsconfig.build.json'),
      '--outDir',
      join(dir, 'dist'),
      '--sourceMap',
      'false',
      '--declaration',
      'false',
    ],
    { stdio: 'inherit' },
  );
  return join(dir, 'collection.json');
}
