import { Logger } from '@nestjs/common';
import { InvalidOptionsError } from '@rampart/core';
import type { OutboundSecretSpec } from './outbound.options';

/** One third-party secret with its rotation set. @publicApi */
export interface OutboundSecret {
  /** The key to send now: the first of the variable's comma-separated list. */
  readonly current: string;
  /** Every active key, current first: accept any of them while a rotation is under way. */
  readonly all: readonly string[];
}

const DEFAULT_MIN_LENGTH = 32;
/** Fewer distinct characters than this is a placeholder (`xxxx…`, `0000…`), not a key. */
const MIN_DISTINCT = 8;
const PLACEHOLDER = /^(?:change-?me|secret|password|test|example|dummy|todo|xxx+)/i;

function weakness(key: string, minLength: number): string | undefined {
  if (key.length < minLength) return `shorter than ${minLength} characters`;
  if (new Set(key).size < MIN_DISTINCT) return `made of fewer than ${MIN_DISTINCT} distinct characters`;
  if (PLACEHOLDER.test(key)) return 'a placeholder';
  return undefined;
}

/**
 * Third-party secrets (API keys, signing secrets) read from the environment and checked once,
 * at bootstrap. In production a missing or weak key stops the application with a message that
 * names the variable — never the value; elsewhere it is logged as a warning.
 * @publicApi
 * @example
 * constructor(private readonly secrets: OutboundSecrets) {}
 * headers: { authorization: `Bearer ${this.secrets.get('partner').current}` }
 */
export class OutboundSecrets {
  private readonly secrets = new Map<string, OutboundSecret>();

  /** @throws InvalidOptionsError `OUTBOUND_INVALID_OPTIONS` naming the variable. */
  constructor(
    specs: Readonly<Record<string, OutboundSecretSpec>>,
    env: Readonly<Record<string, string | undefined>>,
    production: boolean,
  ) {
    const logger = new Logger('OutboundSecrets');
    for (const [name, spec] of Object.entries(specs)) {
      if (
        typeof (spec as Partial<OutboundSecretSpec> | undefined)?.env !== 'string' ||
        !/^[A-Za-z_][A-Za-z0-9_]*$/.test(spec.env)
      ) {
        throw new InvalidOptionsError(
          'OUTBOUND_INVALID_OPTIONS',
          `OutboundModule: secret "${name}" needs an env variable name.`,
        );
      }
      const problem = (message: string) => {
        if (production) throw new InvalidOptionsError('OUTBOUND_INVALID_OPTIONS', `OutboundModule: ${message}`);
        logger.warn(`${message} (allowed outside production only)`);
      };
      const raw = env[spec.env];
      const keys = (raw ?? '')
        .split(',')
        .map((key) => key.trim())
        .filter((key) => key !== '');
      if (keys.length === 0) {
        if (production || spec.required === true) {
          throw new InvalidOptionsError(
            'OUTBOUND_INVALID_OPTIONS',
            `OutboundModule: ${spec.env} is not set: secret "${name}" needs at least one key.`,
          );
        }
        logger.warn(`${spec.env} is not set: secret "${name}" is unavailable.`);
        continue;
      }
      const minLength = spec.minLength ?? DEFAULT_MIN_LENGTH;
      keys.forEach((key, i) => {
        const weak = weakness(key, minLength);
        if (weak) problem(`${spec.env} key #${i + 1} is weak: ${weak}.`);
      });
      this.secrets.set(name, Object.freeze({ current: keys[0] as string, all: Object.freeze(keys) }));
    }
  }

  /** @throws Error when the secret is not configured (only possible outside production). */
  get(name: string): OutboundSecret {
    const secret = this.secrets.get(name);
    if (!secret) throw new Error(`Outbound secret "${name}" is not configured.`);
    return secret;
  }

  has(name: string): boolean {
    return this.secrets.has(name);
  }
}
