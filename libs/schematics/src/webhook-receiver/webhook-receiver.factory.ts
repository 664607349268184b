import { join, strings } from '@angular-devkit/core';
import {
  apply,
  applyTemplates,
  chain,
  mergeWith,
  move,
  noop,
  SchematicsException,
  url,
  type Rule,
} from '@angular-devkit/schematics';
import { enableRawBody, parseSource } from '../utils/ast';
import { addEnvironmentVariables } from '../utils/environment';
import { formatFiles } from '../utils/format';
import { prepareGeneration, registerInRootModule, type GenerateOptions } from '../utils/generation';

/** Options of the `webhook-receiver` schematic (schematics/webhook-receiver/schema.json). @publicApi */
export interface WebhookReceiverOptions extends GenerateOptions {
  /** The sender's signature scheme. @default 'standard' */
  provider?: 'standard' | 'stripe' | 'github';
}

const SCHEMES = { standard: 'standard-webhooks', stripe: 'stripe', github: 'github' } as const;

/**
 * A webhook endpoint verified by `@rampart/webhooks` (signature over the raw body, timestamp
 * tolerance, replay defence): the controller, its module with secrets from the environment,
 * `rawBody: true` in main.ts and the secret's line in .env.example.
 */
export function webhookReceiver(options: WebhookReceiverOptions): Rule {
  return (tree, context) => {
    const provider = options.provider ?? 'standard';
    if (!(provider in SCHEMES)) {
      throw new SchematicsException(`--provider must be one of ${Object.keys(SCHEMES).join(', ')}.`);
    }
    const generation = prepareGeneration(tree, options);
    const { project, name, folder } = generation;
    const moduleFile = join(folder, `${name}-webhooks.module.ts`);
    if (tree.exists(moduleFile)) {
      context.logger.info(`${moduleFile} already exists: nothing generated.`);
      return noop();
    }
    const secretVariable = `${strings.underscore(name).toUpperCase()}_WEBHOOK_SECRETS`;
    return chain([
      mergeWith(
        apply(url('../../schematics/webhook-receiver/files'), [
          applyTemplates({ ...generation.templateOptions, scheme: SCHEMES[provider], secretVariable }),
          move(folder),
        ]),
      ),
      (host) => {
        const text = host.read(project.mainFile)?.toString('utf8') ?? '';
        const recorder = host.beginUpdate(project.mainFile);
        try {
          if (enableRawBody(parseSource(project.mainFile, text), recorder)) host.commitUpdate(recorder);
        } catch (error) {
          throw new SchematicsException(`${project.mainFile}: ${(error as Error).message}`);
        }
        addEnvironmentVariables(host, project, [
          [secretVariable, '', `Signing secrets of ${name}'s webhooks (whsec_…), comma-separated, newest first.`],
        ]);
      },
      options.skipImport === true
        ? noop()
        : (host) => {
            registerInRootModule(host, generation, `${strings.classify(name)}WebhooksModule`, moduleFile);
          },
      formatFiles(options.format),
    ]);
  };
}
