import type { Rule } from '@angular-devkit/schematics';
import { join } from 'node:path';

/** The part of prettier's API the formatting step uses (prettier 2 and 3). */
interface Prettier {
  format(text: string, options: Record<string, unknown>): string | Promise<string>;
  resolveConfig(filePath: string): Promise<Record<string, unknown> | null>;
  getFileInfo(
    filePath: string,
    options: { ignorePath?: string },
  ): Promise<{ ignored: boolean; inferredParser: string | null }>;
}

/**
 * The project's own prettier (resolved from the folder the CLI runs in), never one bundled with the
 * schematics: the output then matches what the project's `format` script writes.
 */
function projectPrettier(root: string): Prettier | undefined {
  let path: string;
  try {
    path = require.resolve('prettier', { paths: [root] });
  } catch {
    return undefined;
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- synchronous: prettier ships CommonJS too
  return require(path) as Prettier;
}

/**
 * With `--format`, runs the project's prettier (its configuration and .prettierignore) on every file
 * this schematic created or changed; without prettier in the project, says so and leaves them as
 * generated. Runs last, on the files the tree recorded.
 */
export function formatFiles(format: boolean | undefined): Rule {
  return async (tree, context) => {
    if (format !== true) return;
    const root = process.cwd();
    const prettier = projectPrettier(root);
    if (!prettier) {
      context.logger.warn('--format: prettier is not installed in this project; files are left as generated.');
      return;
    }
    const touched = new Set(
      tree.actions.flatMap((action) => (action.kind === 'c' || action.kind === 'o' ? [action.path] : [])),
    );
    for (const path of touched) {
      const text = tree.readText(path);
      const file = join(root, path);
      const info = await prettier.getFileInfo(file, { ignorePath: join(root, '.prettierignore') });
      if (info.ignored || info.inferredParser === null) continue;
      const config = (await prettier.resolveConfig(file)) ?? {};
      const formatted = await prettier.format(text, { ...config, filepath: file });
      if (formatted !== text) tree.overwrite(path, formatted);
    }
  };
}
