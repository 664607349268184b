import { Controller, Get, Inject } from '@nestjs/common';
import { Public } from '@rampart/auth';
import { RAMPART_STORE, type Store } from '@rampart/core';

@Controller('health')
@Public()
export class HealthController {
  constructor(@Inject(RAMPART_STORE) private readonly store: Store) {}

  /** Liveness and the shared store's reachability; says nothing else about the deployment. */
  @Get()
  async check(): Promise<{ status: 'ok' | 'degraded'; store: 'up' | 'down' }> {
    const storeUp = await this.store.ping().then(
      () => true,
      () => false,
    );
    return { status: storeUp ? 'ok' : 'degraded', store: storeUp ? 'up' : 'down' };
  }
}
