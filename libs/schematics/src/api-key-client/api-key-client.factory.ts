import { join, strings } from '@angular-devkit/core';
import { apply, applyTemplates, chain, mergeWith, move, noop, url, type Rule } from '@angular-devkit/schematics';
import { formatFiles } from '../utils/format';
import { prepareGeneration, registerInRootModule, type GenerateOptions } from '../utils/generation';

/** Options of the `api-key-client` schematic (schematics/api-key-client/schema.json). @publicApi */
export type ApiKeyClientOptions = GenerateOptions;

/**
 * A partner controller reachable with API keys only (`@Auth('apiKey')`), with scopes
 * `<name>:read`/`<name>:write` and a rate limit per key.
 */
export function apiKeyClient(options: ApiKeyClientOptions): Rule {
  return (tree, context) => {
    const generation = prepareGeneration(tree, options);
    const moduleFile = join(generation.folder, `${generation.name}.module.ts`);
    if (tree.exists(moduleFile)) {
      context.logger.info(`${moduleFile} already exists: nothing generated.`);
      return noop();
    }
    return chain([
      mergeWith(
        apply(url('../../schematics/api-key-client/files'), [
          applyTemplates(generation.templateOptions),
          move(generation.folder),
        ]),
      ),
      options.skipImport === true
        ? noop()
        : (host) => {
            registerInRootModule(host, generation, `${strings.classify(generation.name)}Module`, moduleFile);
          },
      formatFiles(options.format),
    ]);
  };
}
