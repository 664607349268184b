import { InvalidOptionsError } from '@rampart/core';

/** Thrown instead of Nest's dependency error naming `Symbol(RAMPART_STORE)`. */
export function coreMissing(owner: string): InvalidOptionsError {
  return new InvalidOptionsError(
    'RAMPART_CORE_MISSING',
    `${owner} needs RampartCoreModule.forRoot() (or RampartModule.forRoot()) among the imports of the application module: it keeps revoked tokens and API keys in core's Store.`,
  );
}
