import { InvalidOptionsError } from '@rampart/core';
import { GitHubStrategy } from './verify/github.strategy';
import { StandardWebhooksStrategy } from './verify/standard-webhooks.strategy';
import { StripeStrategy } from './verify/stripe.strategy';
import type { WebhookStrategy } from './verify/webhook-strategy';

/** A built-in scheme and its keys. Several secrets are accepted at once while one is rotated out. @publicApi */
export type WebhookSchemeOptions =
  | {
      scheme: 'standard-webhooks';
      /** `whsec_…` secrets for `v1` signatures. */
      secrets?: readonly string[];
      /** `whpk_…` ed25519 public keys for `v1a` signatures. */
      publicKeys?: readonly string[];
    }
  | { scheme: 'stripe'; /** Endpoint signing secrets (`whsec_…`). */ secrets: readonly string[] }
  | { scheme: 'github'; /** Webhook secrets. */ secrets: readonly string[] };

/** One receiving endpoint: a built-in scheme with its keys, or a strategy of your own. @publicApi */
export type WebhookEndpointOptions = (WebhookSchemeOptions | { strategy: WebhookStrategy }) & {
  /** Overrides the module's `toleranceMs` for this endpoint. */
  toleranceMs?: number;
  /** Overrides the module's `maxBodyBytes` for this endpoint. */
  maxBodyBytes?: number;
};

/**
 * Options of {@link WebhooksModule}.
 * @publicApi
 */
export interface WebhooksModuleOptions {
  /** Receiving endpoints by name, the name `@WebhookEndpoint(name)` refers to. */
  endpoints: Readonly<Record<string, WebhookEndpointOptions>>;
  /**
   * How far a signed timestamp may be from the server's clock, either way (1 s to 1 h).
   * @default 300000 (5 minutes, as Standard Webhooks and Stripe recommend)
   */
  toleranceMs?: number;
  /**
   * Largest body verified, in bytes; a larger one is refused with 413 before it is hashed. The
   * platform's own body limit (`useRequestLimits`) applies first.
   * @default 262144 (256 KiB)
   */
  maxBodyBytes?: number;
  /**
   * Refuse a second delivery of an already verified message while its timestamp is within the
   * tolerance, across instances (core's Store: use Redis when running several).
   * @default true
   */
  replayDefence?: boolean;
  /** Prefix of the Store keys that remember seen messages. @default 'webhooks:' */
  keyPrefix?: string;
}

/** One endpoint, ready to verify with. */
export interface ResolvedWebhookEndpoint {
  readonly name: string;
  readonly strategy: WebhookStrategy;
  readonly toleranceMs: number;
  readonly maxBodyBytes: number;
}

/** @publicApi */
export interface ResolvedWebhooksOptions {
  readonly endpoints: ReadonlyMap<string, ResolvedWebhookEndpoint>;
  readonly replayDefence: boolean;
  readonly keyPrefix: string;
}

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const SCHEMES: readonly string[] = ['standard-webhooks', 'stripe', 'github'];
const MAX_TOLERANCE_MS = 3_600_000;
const MAX_BODY_BYTES = 64 * 1024 * 1024;

function invalid(message: string): InvalidOptionsError {
  return new InvalidOptionsError('WEBHOOKS_INVALID_OPTIONS', message);
}

function checkTolerance(value: unknown, what: string): number {
  if (!Number.isSafeInteger(value) || (value as number) < 1000 || (value as number) > MAX_TOLERANCE_MS) {
    throw invalid(`${what} must be a whole number of milliseconds from 1000 to ${MAX_TOLERANCE_MS}.`);
  }
  return value as number;
}

function checkBodyBytes(value: unknown, what: string): number {
  if (!Number.isSafeInteger(value) || (value as number) < 1 || (value as number) > MAX_BODY_BYTES) {
    throw invalid(`${what} must be a whole number of bytes from 1 to ${MAX_BODY_BYTES}.`);
  }
  return value as number;
}

function createStrategy(options: WebhookEndpointOptions, where: string): WebhookStrategy {
  if ('strategy' in options) {
    // Options may come from JavaScript: check what the types promise.
    const strategy = options.strategy as Partial<WebhookStrategy> | null | undefined;
    if (typeof strategy?.verify !== 'function' || typeof strategy.scheme !== 'string') {
      throw invalid(`${where}.strategy must implement WebhookStrategy (scheme and verify).`);
    }
    return options.strategy;
  }
  if (!SCHEMES.includes(options.scheme)) {
    throw invalid(`${where}.scheme must be one of ${SCHEMES.join(', ')}, or give a strategy.`);
  }
  try {
    switch (options.scheme) {
      case 'standard-webhooks':
        if (!options.secrets?.length && !options.publicKeys?.length) {
          throw new Error('needs at least one secret (whsec_) or public key (whpk_).');
        }
        return new StandardWebhooksStrategy(options);
      case 'stripe':
        return new StripeStrategy(options.secrets);
      case 'github':
        return new GitHubStrategy(options.secrets);
    }
  } catch (error) {
    // The key error names which key, never its value.
    throw invalid(`${where}: ${(error as Error).message}`);
  }
}

/** Validates, fills defaults and freezes, at bootstrap: a bad secret stops the app before it serves. */
export function resolveWebhooksOptions(raw: WebhooksModuleOptions): ResolvedWebhooksOptions {
  const toleranceMs = checkTolerance(raw.toleranceMs ?? 300_000, 'toleranceMs');
  const maxBodyBytes = checkBodyBytes(raw.maxBodyBytes ?? 256 * 1024, 'maxBodyBytes');
  const replayDefence: unknown = raw.replayDefence ?? true;
  if (typeof replayDefence !== 'boolean') throw invalid('replayDefence must be true or false.');
  const keyPrefix: unknown = raw.keyPrefix ?? 'webhooks:';
  if (typeof keyPrefix !== 'string' || keyPrefix.length > 100) {
    throw invalid('keyPrefix must be a string of at most 100 characters.');
  }
  const rawEndpoints: unknown = raw.endpoints;
  if (typeof rawEndpoints !== 'object' || rawEndpoints === null || Object.keys(rawEndpoints).length === 0) {
    throw invalid(
      'endpoints must name at least one endpoint, e.g. { endpoints: { billing: { scheme: "stripe", secrets: [...] } } }.',
    );
  }
  const endpoints = new Map<string, ResolvedWebhookEndpoint>();
  for (const [name, options] of Object.entries(raw.endpoints)) {
    const where = `endpoints.${name}`;
    if (!NAME.test(name)) throw invalid(`${where}: a name is 1 to 64 letters, digits, '_', '.' or '-'.`);
    if (typeof (options as unknown) !== 'object' || (options as unknown) === null) {
      throw invalid(`${where} must be an object.`);
    }
    endpoints.set(
      name,
      Object.freeze({
        name,
        strategy: createStrategy(options, where),
        toleranceMs:
          options.toleranceMs === undefined ? toleranceMs : checkTolerance(options.toleranceMs, `${where}.toleranceMs`),
        maxBodyBytes:
          options.maxBodyBytes === undefined
            ? maxBodyBytes
            : checkBodyBytes(options.maxBodyBytes, `${where}.maxBodyBytes`),
      }),
    );
  }
  return Object.freeze({ endpoints, replayDefence, keyPrefix });
}
