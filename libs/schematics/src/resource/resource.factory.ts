import { join, normalize, strings } from '@angular-devkit/core';
import { apply, applyTemplates, chain, mergeWith, move, noop, url, type Rule } from '@angular-devkit/schematics';
import pluralize from 'pluralize';
import { formatFiles } from '../utils/format';
import { prepareGeneration, registerInRootModule, relativeImport, type GenerateOptions } from '../utils/generation';

/** Options of the `resource` schematic (schematics/resource/schema.json). @publicApi */
export type ResourceOptions = GenerateOptions;

/**
 * A REST resource in the Nest CLI's layout (module, controller, service, DTOs, entity) with
 * Rampart's protections written in: scopes `<name>:read`/`<name>:write`, a per-user rate limit on
 * writes, sanitised DTOs, a bounded pagination query, owner checks on every `:id` route, and an
 * e2e spec (with `@rampart/testing`) that attacks them.
 */
export function resource(options: ResourceOptions): Rule {
  return (tree, context) => {
    const generation = prepareGeneration(tree, options);
    const { project, name, folder, templateOptions } = generation;
    const moduleFile = join(folder, `${name}.module.ts`);
    if (tree.exists(moduleFile)) {
      context.logger.info(`${moduleFile} already exists: nothing generated.`);
      return noop();
    }
    const configFile = join(project.sourceRoot, 'rampart.config.ts');
    if (options.spec !== false && !tree.exists(configFile)) {
      context.logger.warn(`${configFile} not found: the e2e spec reads it. Run the install schematic first.`);
    }
    const specFolder = join(normalize(project.root), 'test');
    const singular = pluralize.singular(name);
    if (singular === name) {
      context.logger.warn(
        `"${name}" reads as singular; Nest's convention is a plural resource name (e.g. "${pluralize.plural(name)}").`,
      );
    }
    return chain([
      mergeWith(apply(url('../../schematics/resource/files'), [applyTemplates(templateOptions), move(folder)])),
      options.spec === false
        ? noop()
        : mergeWith(
            apply(url('../../schematics/resource/spec'), [
              applyTemplates({
                ...templateOptions,
                moduleImport: relativeImport(specFolder, moduleFile, project.importSuffix),
                configImport: relativeImport(specFolder, configFile, project.importSuffix),
              }),
              move(specFolder),
            ]),
          ),
      options.skipImport === true
        ? noop()
        : (host) => {
            if (!registerInRootModule(host, generation, `${strings.classify(name)}Module`, moduleFile)) {
              context.logger.warn(
                `No app.module.ts to register ${strings.classify(name)}Module in: import it yourself.`,
              );
            }
          },
      formatFiles(options.format),
    ]);
  };
}
