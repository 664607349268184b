import { describeReplayCacheContract } from '@rampart/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachBackend } from '../../../../test/utils/redis';

// DPoP proof jtis, private_key_jwt assertion jtis and webhook message ids all go through it.
describeEachBackend('ReplayCache', (backend, keyPrefix) => {
  describeReplayCacheContract(
    { describe, it, expect, beforeAll, afterAll },
    backend.name,
    () => backend.store(keyPrefix),
    {
      shared: backend.name !== 'memory',
    },
  );
});
