import type { Cluster, Redis } from 'ioredis';
import type { StoreListener } from './store';

/** How often a confirmed subscription is pinged: a connection that went silent is given up within about twice this. */
const HEARTBEAT_MS = 1_000;
/** Before a cluster subscription moves to the next node. */
const CLUSTER_RETRY_MS = 500;

/**
 * Redis pub/sub for {@link RedisStore.subscribe}: one subscriber connection per store, opened on
 * the first subscription. Listeners learn whether the subscription is confirmed, so whatever they
 * cache on the strength of "no message came" is used only while no message can have been missed:
 * - confirmed once SUBSCRIBE is answered on a ready connection;
 * - unconfirmed as soon as the connection closes, or a PING each second goes unanswered (a
 *   connection can die silently), until a new connection has subscribed again.
 * On a cluster, a PUBLISH reaches every node, so one plain connection to any node hears every
 * message; when that node goes away the subscription moves to another one.
 */
export class RedisNotices {
  private subscriber: Redis | undefined;
  private readonly listeners = new Map<string, Set<StoreListener>>();
  private confirmed = false;
  private heartbeat: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private nextNode = 0;
  private closed = false;

  constructor(private readonly client: Redis | Cluster) {}

  subscribe(channel: string, listener: StoreListener): () => void {
    let listeners = this.listeners.get(channel);
    const added = listeners === undefined;
    if (!listeners) this.listeners.set(channel, (listeners = new Set()));
    listeners.add(listener);
    listener.state(false);
    if (!this.subscriber) this.connect();
    else if (added) void this.resubscribe(this.subscriber);
    else if (this.confirmed) listener.state(true);
    return () => listeners.delete(listener);
  }

  close(): void {
    this.closed = true;
    clearInterval(this.heartbeat);
    clearTimeout(this.retry);
    this.subscriber?.disconnect();
    this.subscriber = undefined;
  }

  private get isCluster(): boolean {
    return 'nodes' in this.client;
  }

  private connect(): void {
    if (this.closed) return;
    const subscriber = this.open();
    if (!subscriber) {
      this.retry = setTimeout(() => this.connect(), CLUSTER_RETRY_MS).unref();
      return;
    }
    this.subscriber = subscriber;
    subscriber.on('error', () => undefined);
    subscriber.on('message', (channel: string, message: string) => {
      for (const listener of this.listeners.get(channel) ?? []) listener.message(message);
    });
    subscriber.on('ready', () => void this.resubscribe(subscriber));
    subscriber.on('close', () => this.lost(subscriber));
    if (subscriber.status === 'wait') subscriber.connect().catch(() => undefined);
  }

  /** A new subscriber connection: a duplicate of the client, or on a cluster of one node, in turn. */
  private open(): Redis | undefined {
    // Resubscribed here on every 'ready': ioredis' own resubscription, sent while the connection
    // may already be gone, rejects where nobody can catch it (an unhandled rejection).
    const options = { lazyConnect: true, autoResubscribe: false };
    if (!('nodes' in this.client)) return this.client.duplicate(options);
    const nodes = this.client.nodes('all');
    if (nodes.length === 0) return undefined;
    return nodes[this.nextNode++ % nodes.length]?.duplicate(options);
  }

  private async resubscribe(subscriber: Redis): Promise<void> {
    try {
      await subscriber.subscribe(...this.listeners.keys());
    } catch {
      return; // the connection's close (or the heartbeat) reports it
    }
    if (subscriber !== this.subscriber || subscriber.status !== 'ready') return;
    this.confirmed = true;
    this.report(true);
    clearInterval(this.heartbeat);
    this.heartbeat = setInterval(() => {
      subscriber.ping().catch(() => {
        // Silent for a command timeout: messages may be lost. Reconnect (a cluster moves on).
        this.lost(subscriber);
        subscriber.disconnect(!this.isCluster);
      });
    }, HEARTBEAT_MS).unref();
  }

  private lost(subscriber: Redis): void {
    if (subscriber !== this.subscriber) return;
    clearInterval(this.heartbeat);
    if (this.confirmed) {
      this.confirmed = false;
      this.report(false);
    }
    if (this.isCluster && !this.closed) {
      // The node may be gone for good (failed over): subscribe through the next one.
      this.subscriber = undefined;
      subscriber.disconnect();
      clearTimeout(this.retry);
      this.retry = setTimeout(() => this.connect(), CLUSTER_RETRY_MS).unref();
    }
  }

  private report(confirmed: boolean): void {
    for (const listeners of this.listeners.values()) for (const listener of listeners) listener.state(confirmed);
  }
}
