/**
 * The matchers the contract suites use: the subset Jest and Vitest share, so one suite runs
 * under either.
 * @publicApi
 */
export interface ContractMatchers {
  toBe(expected: unknown): void;
  toEqual(expected: unknown): void;
  toMatchObject(expected: object): void;
  toHaveLength(length: number): void;
  toBeUndefined(): void;
  toBeGreaterThan(n: number): void;
  toBeGreaterThanOrEqual(n: number): void;
  toBeLessThanOrEqual(n: number): void;
  readonly rejects: { toThrow(expected?: unknown): Promise<void> };
  readonly resolves: { toBeUndefined(): Promise<void> };
}

// Jest types a test body as a done-callback or a function returning a promise: the suites' bodies are async.
type Hook = (fn: () => Promise<void>, timeout?: number) => void;
type Block = (name: string, fn: () => void) => void;
type Test = (name: string, fn: () => Promise<void>, timeout?: number) => void;

/**
 * The test runner the contract suites register with: pass Vitest's or Jest's functions, e.g.
 * `{ describe, it, expect, beforeAll, afterAll }` from `vitest`, or the Jest globals.
 * @publicApi
 * @example
 * import { afterAll, beforeAll, describe, expect, it } from 'vitest';
 * describeStoreContract({ describe, it, expect, beforeAll, afterAll }, 'my store', () => MyStore.create());
 */
export interface TestFramework {
  describe: Block;
  it: Test;
  // The runners' own `expect` types are generic over the value; the suites need only this subset.
  expect: (actual: unknown) => ContractMatchers;
  beforeAll: Hook;
  afterAll: Hook;
}
