import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { OutboundClient } from './outbound.client';

/**
 * The named clients configured in `OutboundModule.forRoot({ clients })`, created (and their
 * options validated) at bootstrap, closed at shutdown.
 * @publicApi
 * @example
 * constructor(clients: OutboundClients) { this.partner = clients.get('partner'); }
 */
@Injectable()
export class OutboundClients implements OnApplicationShutdown {
  constructor(private readonly clients: ReadonlyMap<string, OutboundClient>) {}

  /** @throws Error naming the known clients when `name` is not one of them. */
  get(name: string): OutboundClient {
    const client = this.clients.get(name);
    if (!client) {
      throw new Error(`No outbound client "${name}": configured are ${[...this.clients.keys()].join(', ') || 'none'}.`);
    }
    return client;
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.clients.values()].map((client) => client.close()));
  }
}
