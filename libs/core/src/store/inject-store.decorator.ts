import { Inject } from '@nestjs/common';
import { RAMPART_STORE } from '../core.constants';

/**
 * Injects the shared {@link Store} configured in `RampartCoreModule`.
 * @publicApi
 * @example
 * constructor(@InjectStore() private readonly store: Store) {}
 */
export const InjectStore = (): ParameterDecorator => Inject(RAMPART_STORE);
