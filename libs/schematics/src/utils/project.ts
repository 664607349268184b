import { join, normalize, type Path } from '@angular-devkit/core';
import { SchematicsException, type Tree } from '@angular-devkit/schematics';

/** Options every Rampart schematic takes, as the Nest CLI passes them. */
export interface ProjectOptions {
  /** A project of a monorepo's nest-cli.json. */
  project?: string;
  /** Passed by the Nest CLI: the chosen project's source root. */
  sourceRoot?: string;
  /** Run the project's prettier on the files written or edited. @default false */
  format?: boolean;
}

/** Where a Nest application lives in the tree. */
export interface NestProject {
  /** The project's folder (holds its package.json or tsconfig; `.` for a standard app). */
  root: Path;
  /** Its source folder (holds main.ts and app.module.ts). */
  sourceRoot: Path;
  /** The file bootstrapping the app. */
  mainFile: Path;
  /** `.js` when the app's own relative imports carry it (ESM, or nodenext CommonJS written that way). */
  importSuffix: '' | '.js';
}

interface NestCliProject {
  type?: string;
  root?: string;
  sourceRoot?: string;
  entryFile?: string;
}

interface NestCliConfig {
  sourceRoot?: string;
  root?: string;
  entryFile?: string;
  projects?: Record<string, NestCliProject>;
}

function readJson(tree: Tree, path: string): unknown {
  const buffer = tree.read(path);
  if (buffer === null) return undefined;
  try {
    return JSON.parse(buffer.toString('utf8'));
  } catch {
    throw new SchematicsException(`${path} is not valid JSON; fix it and run the schematic again.`);
  }
}

/**
 * Finds the Nest application the schematic works on, from nest-cli.json (its `projects` in a
 * monorepo). Anything else is refused with a message saying what is missing, never edited.
 */
export function resolveNestProject(tree: Tree, options: ProjectOptions): NestProject {
  const manifest = readJson(tree, 'package.json') as
    { dependencies?: Record<string, string>; devDependencies?: Record<string, string> } | undefined;
  const declaresNest =
    manifest && ('@nestjs/core' in (manifest.dependencies ?? {}) || '@nestjs/core' in (manifest.devDependencies ?? {}));
  if (!declaresNest) {
    throw new SchematicsException(
      'This folder is not a Nest application: no package.json declaring @nestjs/core. Run the schematic from the root of a Nest project (one made by `nest new`).',
    );
  }
  const config = (readJson(tree, 'nest-cli.json') as NestCliConfig | undefined) ?? {};
  let project: NestCliProject = {
    root: config.root ?? '.',
    sourceRoot: config.sourceRoot ?? 'src',
    entryFile: config.entryFile,
  };
  if (options.project !== undefined) {
    const named = config.projects?.[options.project];
    if (!named) {
      const known = Object.keys(config.projects ?? {});
      throw new SchematicsException(
        `No project "${options.project}" in nest-cli.json${known.length ? `; projects: ${known.join(', ')}` : ' (it has no "projects")'}.`,
      );
    }
    if (named.type !== undefined && named.type !== 'application') {
      throw new SchematicsException(`Project "${options.project}" is a ${named.type}, not an application.`);
    }
    project = named;
  } else if (options.sourceRoot !== undefined) {
    const sourceRoot = normalize(options.sourceRoot);
    const named = Object.values(config.projects ?? {}).find(
      (candidate) => normalize(candidate.sourceRoot ?? '') === sourceRoot,
    );
    project = { ...(named ?? project), sourceRoot };
  }
  const sourceRoot = normalize(project.sourceRoot ?? 'src');
  const mainFile = join(sourceRoot, `${project.entryFile ?? 'main'}.ts`);
  const main = tree.read(mainFile)?.toString('utf8');
  if (main === undefined || !main.includes('NestFactory')) {
    throw new SchematicsException(
      `This is not a Nest application: ${mainFile} does not exist or does not call NestFactory. Pass --project <name> for a project of a monorepo.`,
    );
  }
  return {
    root: normalize(project.root ?? '.'),
    sourceRoot,
    mainFile,
    importSuffix: /from\s+['"]\.\.?\/[^'"]*\.js['"]/.test(main) ? '.js' : '',
  };
}

/** The folder a generated file goes to: `--path` under the source root, else the source root. */
export function targetFolder(project: NestProject, path: string | undefined): Path {
  return path === undefined || path === '' ? project.sourceRoot : join(project.sourceRoot, normalize(path));
}
