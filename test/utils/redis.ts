import { randomUUID } from 'node:crypto';
import { describe, inject } from 'vitest';

/** The Redis URL for tests ('' when none answers; see global-setup). */
export const redisUrl = inject('redisUrl');

/** `describe` when Redis answers, `describe.skip` otherwise. */
export const describeWithRedis = redisUrl ? describe : describe.skip;

/** A key prefix no other test run shares, so runs never see or delete each other's keys. */
export function uniqueKeyPrefix(scope: string): string {
  return `rampart-test:${scope}:${randomUUID()}:`;
}
