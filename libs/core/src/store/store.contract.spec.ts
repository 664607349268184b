import { describeEachBackend } from '../../../../test/utils/redis';
import { describeStoreContract } from '@rampart/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

describeEachBackend('Store', (backend, keyPrefix) => {
  describeStoreContract({ describe, it, expect, beforeAll, afterAll }, backend.name, () => backend.store(keyPrefix));
});
