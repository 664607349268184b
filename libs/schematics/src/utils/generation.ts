import { posix } from 'node:path';
import { basename, dirname, join, normalize, strings, type Path } from '@angular-devkit/core';
import { SchematicsException, type Tree } from '@angular-devkit/schematics';
import pluralize from 'pluralize';
import { addNamedImports, addToMetadataArray, findModuleMetadata, parseSource } from './ast';
import { resolveNestProject, targetFolder, type NestProject, type ProjectOptions } from './project';

/** Options the generating schematics share (the Nest CLI's own set). */
export interface GenerateOptions extends ProjectOptions {
  /** The name; `admin/notes` puts it under `admin/`. */
  name: string;
  /** The folder under the source root. */
  path?: string;
  /** Files in the folder itself rather than in one named after the resource. @default false */
  flat?: boolean;
  /** Generate the spec. @default true */
  spec?: boolean;
  /** @default 'spec' */
  specFileSuffix?: string;
  /** Do not register the module in the root module. @default false */
  skipImport?: boolean;
  /** Passed by the Nest CLI; only TypeScript is generated. */
  language?: string;
}

/** Where and under which names a generating schematic writes. */
export interface Generation {
  project: NestProject;
  /** Dasherized, e.g. `partner-orders`. */
  name: string;
  /** The folder the files go to. */
  folder: Path;
  /** Template helpers: Angular's string helpers, `singular`, the import suffix, the spec suffix. */
  templateOptions: Record<string, unknown>;
}

export function prepareGeneration(tree: Tree, options: GenerateOptions): Generation {
  if (options.language !== undefined && options.language !== 'ts') {
    throw new SchematicsException('Rampart schematics generate TypeScript only (--language ts).');
  }
  const project = resolveNestProject(tree, options);
  const raw = normalize(options.name);
  const name = strings.dasherize(basename(raw));
  // Names end up in file names, class names and URL paths: letters, digits and dashes only.
  if (!/^[a-z][a-z0-9-]*$/.test(name) || options.name.split(/[\\/]/).includes('..')) {
    throw new SchematicsException(
      `"${options.name}" is not a usable name: use letters, digits and dashes, starting with a letter.`,
    );
  }
  const base = join(normalize(targetFolder(project, options.path)), dirname(raw));
  const folder = options.flat === true ? base : join(base, name);
  return {
    project,
    name,
    folder,
    templateOptions: {
      ...strings,
      name,
      singular: (word: string) => pluralize.singular(word),
      importSuffix: project.importSuffix,
      specFileSuffix: strings.dasherize(options.specFileSuffix ?? 'spec'),
    },
  };
}

/** A relative import specifier from the folder `from` to the file `to` (without its .ts). */
export function relativeImport(from: Path, to: Path, suffix: string): string {
  const path = posix.relative(from, to.replace(/\.ts$/, ''));
  return `${path.startsWith('.') ? path : `./${path}`}${suffix}`;
}

/**
 * Registers `symbol` (exported by `file`) in the `imports` of the project's root module, as
 * `nest g resource` does; with no root module found, says so and leaves the registration to the user.
 */
export function registerInRootModule(tree: Tree, generation: Generation, symbol: string, file: Path): boolean {
  const modulePath = join(generation.project.sourceRoot, 'app.module.ts');
  const text = tree.read(modulePath)?.toString('utf8');
  if (text === undefined) return false;
  const source = parseSource(modulePath, text);
  const metadata = findModuleMetadata(source);
  if (!metadata) return false;
  const recorder = tree.beginUpdate(modulePath);
  addNamedImports(
    source,
    recorder,
    [symbol],
    relativeImport(dirname(modulePath), file, generation.project.importSuffix),
  );
  addToMetadataArray(metadata, recorder, 'imports', symbol, symbol);
  tree.commitUpdate(recorder);
  return true;
}
