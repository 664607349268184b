import { describeEachBackend } from '../../../../test/utils/redis';
import { describeStoreContract } from '../../../../test/utils/store-contract';

describeEachBackend('Store', (backend, keyPrefix) => {
  describeStoreContract(backend.name, () => backend.store(keyPrefix));
});
