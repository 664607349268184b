/** One client's responses since the last flush. */
export interface ClientObservations {
  requests: number;
  errors: number;
  /** Distinct endpoints seen (at most the batch's `endpointsPerClient`). A set: a scanner's thousands stay O(1) each. */
  endpoints: Set<string>;
  /** The latest endpoint seen: it names the route in events. */
  lastEndpoint: string;
}

/** Endpoints held across all clients, per client of the batch on average (unmatched paths are client-chosen strings). */
const ENDPOINTS_PER_BATCH_CLIENT = 8;

/**
 * Behaviour observations aggregated per client between flushes, so a busy client costs one store
 * script per flush instead of one per response. Bounded, since clients are attacker-chosen: at
 * most `maxClients` clients and `maxClients × 8` endpoint strings (whichever fills first);
 * {@link add} reports when the batch is full and must be flushed.
 */
export class ObservationBatch {
  private clients = new Map<string, ClientObservations>();
  private endpoints = 0;
  private readonly maxEndpoints: number;

  /**
   * @param endpointsPerClient distinct endpoints kept per client per flush: the scanning signal's
   *   own cap, past which counting further buys nothing (a scanner is then far over its limit).
   */
  constructor(
    private readonly maxClients: number,
    private readonly endpointsPerClient: number,
  ) {
    this.maxEndpoints = maxClients * ENDPOINTS_PER_BATCH_CLIENT;
  }

  /** Clients held. */
  get size(): number {
    return this.clients.size;
  }

  /** Adds one response; returns whether the batch is now full (flush it before adding more). */
  add(client: string, endpoint: string, error: boolean): boolean {
    let observed = this.clients.get(client);
    if (observed === undefined) {
      observed = { requests: 0, errors: 0, endpoints: new Set(), lastEndpoint: endpoint };
      this.clients.set(client, observed);
    }
    observed.requests++;
    if (error) observed.errors++;
    observed.lastEndpoint = endpoint;
    const { endpoints } = observed;
    if (endpoints.size < this.endpointsPerClient && !endpoints.has(endpoint)) {
      endpoints.add(endpoint);
      this.endpoints++;
    }
    return this.clients.size >= this.maxClients || this.endpoints >= this.maxEndpoints;
  }

  /** Empties the batch and hands over what it held. */
  take(): Map<string, ClientObservations> {
    const taken = this.clients;
    this.clients = new Map();
    this.endpoints = 0;
    return taken;
  }
}
