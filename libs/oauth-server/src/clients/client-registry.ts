import type { Cluster, Redis } from 'ioredis';
import { isValidClientId, toOAuthClient, type OAuthClient, type OAuthClientRegistration } from './oauth-client';

/**
 * Where the authorization server looks clients up. Implement it over your own database, or use
 * {@link MemoryClientRegistry} (static configuration) or {@link RedisClientRegistry}.
 * @publicApi
 * @example
 * class DbClients implements OAuthClientRegistry { find(id) { return db.clients.findOne(id).then(toOAuthClient) } }
 */
export interface OAuthClientRegistry {
  /**
   * The client, or undefined when `id` is unknown or the client is disabled: every endpoint then
   * answers `invalid_client`, and `OAuthServer.clientStatus` refuses its client-credentials tokens.
   */
  find(id: string): Promise<OAuthClient | undefined>;
}

/**
 * Clients from configuration, checked at start.
 * @publicApi
 * @example
 * new MemoryClientRegistry([{ id: 'spa', type: 'public', ... }])
 */
export class MemoryClientRegistry implements OAuthClientRegistry {
  private readonly clients: ReadonlyMap<string, OAuthClient>;
  private readonly disabled = new Set<string>();

  constructor(registrations: readonly OAuthClientRegistration[]) {
    const clients = new Map<string, OAuthClient>();
    for (const registration of registrations) {
      const client = toOAuthClient(registration);
      if (clients.has(client.id)) throw new Error(`OAuth client "${client.id}" is registered twice.`);
      clients.set(client.id, client);
    }
    this.clients = clients;
  }

  async find(id: string): Promise<OAuthClient | undefined> {
    return this.disabled.has(id) ? undefined : this.clients.get(id);
  }

  /**
   * Takes a registered client out of service at once (a leaked key or secret): it can no longer
   * authenticate, and with `OAuthServer.clientStatus` its client-credentials tokens are refused.
   * This process only; returns false for an unknown id.
   */
  disable(id: string): boolean {
    if (!this.clients.has(id)) return false;
    this.disabled.add(id);
    return true;
  }

  /** Puts a disabled client back in service. */
  enable(id: string): boolean {
    return this.disabled.delete(id);
  }
}

/**
 * Clients in Redis (one JSON document per client, secrets as hashes), for clients registered at
 * run time and shared by every instance.
 * @publicApi
 * @example
 * const registry = new RedisClientRegistry(redis, 'myapp:oauth-clients:');
 * await registry.register({ id: 'partner', type: 'confidential', secret, grantTypes: ['client_credentials'], scopes: ['reports:read'] });
 */
export class RedisClientRegistry implements OAuthClientRegistry {
  constructor(
    private readonly redis: Redis | Cluster,
    private readonly prefix = 'rampart:oauth-client:',
  ) {}

  /** Validates and stores a client; the plain secret, if any, is hashed and dropped. */
  async register(registration: OAuthClientRegistration): Promise<OAuthClient> {
    const client = toOAuthClient(registration);
    await this.redis.set(this.prefix + client.id, JSON.stringify(client));
    return client;
  }

  async remove(id: string): Promise<boolean> {
    return (await this.redis.del(this.prefix + id)) > 0;
  }

  async find(id: string): Promise<OAuthClient | undefined> {
    // The id comes from the request: only well-formed ids reach a key name.
    if (!isValidClientId(id)) return undefined;
    const json = await this.redis.get(this.prefix + id);
    if (json === null) return undefined;
    const stored = JSON.parse(json) as OAuthClient;
    return toOAuthClient({
      ...stored,
      grantTypes: [...stored.grantTypes],
      scopes: [...stored.scopes],
      defaultScopes: [...stored.defaultScopes],
      redirectUris: [...stored.redirectUris],
      secretHashes: [...stored.secretHashes],
    });
  }
}
