import { Inject, Injectable, Logger, Optional, type OnModuleDestroy } from '@nestjs/common';
import {
  clientKey,
  declareSecurityState,
  DEFAULT_CLIENT_PREFIXES,
  InjectStore,
  RAMPART_CORE_OPTIONS,
  SecurityEvents,
  type ResolvedCoreOptions,
  type SecuritySeverity,
  type Store,
  TrustedProxies,
} from '@rampart/core';
import { PayloadTooLargeError, ThreatDetectedError } from '@rampart/errors';
import { LRUCache } from 'lru-cache';
import { createHash } from 'node:crypto';
import { BAN_INDEX_ADD, BAN_INDEX_LIST, BAN_INDEX_REMOVE } from './behaviour/ban-index.scripts';
import { COUNT, DISTINCT, OBSERVE } from './behaviour/behaviour.scripts';
import { ObservationBatch, type ClientObservations } from './behaviour/observation-batch';
import {
  compileInspectOptions,
  inspectCompiled,
  type InspectableRequest,
  type InspectionResult,
} from './inspection/inspect';
import { BanCache, StoreBreaker } from './store-breaker';
import type { ThreatCategory } from './inspection/types';
import { THREAT_OPTIONS } from './threat.constants';
import type { ResolvedThreatOptions, ThreatMode } from './threat.options';

/** A route's inspection policy: locations not inspected, and categories not reported per location. */
export interface RouteInspection {
  readonly ignore: readonly string[];
  readonly exempt: Readonly<Record<string, readonly ThreatCategory[]>>;
}

/** A client refused on every instance until `until`. @publicApi */
export interface BanRecord {
  /** `ban` (mode ban, or {@link ThreatService.ban}) or `block` (behaviour in mode block, for one window). */
  kind: 'ban' | 'block';
  reasons: string[];
  /** Epoch milliseconds. */
  until: number;
}

/** A ban or block in force, as {@link ThreatService.listBans} lists it. @publicApi */
export interface BanEntry extends BanRecord {
  client: string;
}

// Bans and blocks (and the admin list of them) are security state: the memory store keeps them where
// the behaviour counters a flood of client addresses creates cannot evict them.
declareSecurityState('threat-bans', (key) => key.endsWith('}:ban'));
declareSecurityState('threat-ban-index', (key) => key.endsWith('{bans}:index'));

/** Most bans the admin list holds (the ones ending first leave it; their bans still apply). */
const BAN_LIST_CAP = 10_000;

/** The outcome of {@link ThreatService.recordFailedLogin}. @publicApi */
export interface FailedLoginVerdict {
  /** Failed logins from this IP in the window (any account). */
  failuresFromIp: number;
  /** Distinct IPs that failed on this account in the window. */
  ipsForAccount: number;
  /** The IP is trying many logins: it was acted on according to the mode. */
  credentialStuffing: boolean;
  /** Many IPs are failing on this account: protect it (step-up, lock, notify); no one IP is to blame. */
  passwordSpraying: boolean;
  /** What was done to the IP: `none`, `monitored`, `blocked` or `banned`. */
  action: 'none' | 'monitored' | 'blocked' | 'banned';
}

/** A behaviour signal that fired, with its evidence. */
export interface BehaviourSignal {
  reason: 'request_rate' | 'scanning' | 'error_rate' | 'credential_stuffing';
  value: number;
  limit: number;
  score: number;
  windowMs: number;
}

/**
 * The threat engine inside Nest: inspects requests with the module's options, keeps behaviour
 * signals per client in the shared store, decides by risk score and mode, bans and unbans.
 * Other libs call {@link recordFailedLogin} when a login fails.
 * @publicApi
 * @example
 * constructor(private readonly threat: ThreatService) {}
 * async login(dto: LoginDto, ip: string) {
 *   if (!(await this.users.verify(dto))) {
 *     const verdict = await this.threat.recordFailedLogin({ ip, account: dto.email });
 *     if (verdict.passwordSpraying) await this.users.requireStepUp(dto.email);
 *     throw new UnauthorizedError();
 *   }
 * }
 */
@Injectable()
export class ThreatService implements OnModuleDestroy {
  private readonly logger = new Logger('ThreatService');
  private readonly compiled = new WeakMap<RouteInspection, ReturnType<typeof compileInspectOptions>>();
  private readonly breaker: StoreBreaker;
  private readonly banCache: BanCache<BanRecord | Promise<BanRecord | undefined>>;
  /**
   * Bans this instance has seen (looked up, or set here), until they end: what the request path
   * enforces while the store cannot answer. Bounded; only real bans enter it, so clients cannot
   * flood it with keys of their own.
   */
  private readonly knownBans: LRUCache<string, BanRecord>;
  /** Store scripts of behaviour observations in flight (bounded by `store.maxPendingObservations`). */
  private pendingObservations = 0;
  private droppedObservations = 0;
  private readonly batch: ObservationBatch;
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly flushes = new Set<Promise<void>>();
  private readonly keysByClient = new Map<string, { r: number; e: number; s: number; keys: string[] }>();

  constructor(
    @Inject(THREAT_OPTIONS) readonly options: ResolvedThreatOptions,
    @InjectStore() private readonly store: Store,
    private readonly events: SecurityEvents,
    // Optional for tests that build the service by hand: default prefixes, no trusted proxy.
    @Optional()
    @Inject(RAMPART_CORE_OPTIONS)
    private readonly core: Pick<ResolvedCoreOptions, 'clientPrefixes' | 'trustedProxies'> = {
      clientPrefixes: DEFAULT_CLIENT_PREFIXES,
      trustedProxies: new TrustedProxies(),
    },
  ) {
    const { deadlineMs, cooldownMs, banCacheMs, banCacheSize } = options.store;
    this.breaker = new StoreBreaker(
      deadlineMs,
      cooldownMs,
      (error) =>
        this.logger.warn(
          `Threat store unavailable (${(error as Error).message}): bans and behaviour signals are not enforced until it recovers; input inspection still applies.`,
        ),
      () => this.logger.log('Threat store reachable again: bans and behaviour signals are enforced.'),
    );
    this.banCache = new BanCache(banCacheMs, banCacheSize);
    this.knownBans = new LRUCache({ max: banCacheSize, ttlAutopurge: false });
    this.batch = new ObservationBatch(options.store.observationBatchSize, this.distinctCap);
  }

  onModuleDestroy(): void {
    // What the last interval held is dropped: behaviour signals are best effort, and the store may
    // already be closing.
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.batch.take();
  }

  private rememberBan(client: string, ban: BanRecord): void {
    this.knownBans.set(client, ban, { ttl: Math.max(1, ban.until - Date.now()) });
  }

  /** Inspects a request with the module's options, plus `ignore` locations of a route policy. */
  inspect(request: InspectableRequest, ignore?: readonly string[]): InspectionResult {
    if (!ignore || ignore.length === 0) return inspectCompiled(request, this.options.inspect);
    return this.inspectFor(request, this.routeOf(ignore));
  }

  /**
   * Inspects a request under a route's inspection policy (ignored locations, per-field exempt
   * categories). Pass the same object for the same route: its compiled options are cached by identity.
   */
  inspectFor(request: InspectableRequest, route: RouteInspection): InspectionResult {
    if (route.ignore.length === 0 && Object.keys(route.exempt).length === 0) {
      return inspectCompiled(request, this.options.inspect);
    }
    let compiled = this.compiled.get(route);
    if (!compiled) {
      const base = this.options.inspectOptions;
      compiled = compileInspectOptions({
        ...base,
        ignore: [...(base.ignore ?? []), ...route.ignore],
        exempt: { ...base.exempt, ...route.exempt },
      });
      this.compiled.set(route, compiled);
    }
    return inspectCompiled(request, compiled);
  }

  private readonly routesByIgnore = new WeakMap<readonly string[], RouteInspection>();
  private routeOf(ignore: readonly string[]): RouteInspection {
    let route = this.routesByIgnore.get(ignore);
    if (!route) this.routesByIgnore.set(ignore, (route = { ignore, exempt: {} }));
    return route;
  }

  /** Whether `client` (an address or a client key) is, or lies in, a trusted client range. */
  isTrusted(client: string): boolean {
    return !this.options.trustedClients.isEmpty && this.options.trustedClients.overlaps(client);
  }

  /**
   * The key bans and behaviour signals use for an address in any spelling (uncompressed IPv6,
   * `::ffff:7f00:1`…) or for a key itself: the client's network by core's `clientPrefixes`.
   * `undefined` when `input` is neither.
   */
  clientKeyOf(input: string): string | undefined {
    return clientKey(input, this.core.clientPrefixes);
  }

  /**
   * Counts a request refused for its input towards a ban (mode `ban`), and bans the client once
   * `banEvidence.findings` such requests arrived within `banEvidence.windowMs`. A browser's
   * cross-site navigation or subresource request is not counted: a third-party page can make a
   * victim's browser send it (an `<img>` or a link), so it is no evidence against the victim.
   * Resolves to whether the client is now banned.
   */
  async recordRefusedInput(
    client: string,
    reasons: string[],
    headers: Readonly<Record<string, string | string[] | undefined>>,
  ): Promise<boolean> {
    if (isCrossSiteBrowserRequest(headers) || this.isTrusted(client)) return false;
    const { findings, windowMs } = this.options.banEvidence;
    const strikes = findings <= 1 ? 1 : await this.store.increment(this.key(client, 'strikes'), { ttlMs: windowMs });
    if (strikes < findings) return false;
    return this.ban(client, { reasons });
  }

  /** Whether a request URL's path is one a ban never refuses (`banExemptPaths`). */
  isBanExempt(url: string | undefined): boolean {
    const paths = this.options.banExemptPaths;
    if (paths.size === 0 || url === undefined) return false;
    const mark = url.indexOf('?');
    return paths.has(mark < 0 ? url : url.slice(0, mark));
  }

  private key(client: string, suffix: string): string {
    // The hash tag keeps a client's keys in one Redis Cluster slot, so one script can touch them all.
    // It starts with `ip:` so it is never empty: a client starting with `}` (ban() takes any string)
    // would otherwise give an empty tag, each key its own slot, and CROSSSLOT on every script.
    return `${this.options.keyPrefix}{ip:${client}}:${suffix}`;
  }

  /** The client's ban or block, if one is in force. Rejects when the store does. */
  async getBan(input: string): Promise<BanRecord | undefined> {
    const client = this.clientKeyOf(input) ?? input;
    const value = await this.store.get(this.key(client, 'ban'));
    if (value === undefined) return undefined;
    try {
      return JSON.parse(value) as BanRecord;
    } catch {
      return { kind: 'ban', reasons: ['unknown'], until: Date.now() };
    }
  }

  /**
   * The request path's ban check: from the local cache, else from the store within the deadline
   * (`store.deadlineMs`); `undefined` when the store fails, is slow or is in a cool-down (fail
   * open). Synchronous when cached; never rejects.
   */
  lookupBan(client: string): BanRecord | undefined | Promise<BanRecord | undefined> {
    const now = Date.now();
    const cached = this.banCache.get(client, now);
    if (cached) {
      const value = cached.value;
      if (value === undefined || value instanceof Promise) return value;
      return value.until > now ? value : undefined;
    }
    const entry = this.banCache.set(client, undefined, now);
    // Concurrent requests of the client share this lookup; a local ban or unban meanwhile wins.
    // When the store fails, is silent or is skipped (breaker open), the last ban this instance saw
    // for the client stays enforced until it ends: an outage (or a Redis frozen by the attacker's
    // own flood) must not lift a ban.
    const pending = this.breaker
      .run(() => this.getBan(client), this.knownBans.get(client))
      .then((ban) => {
        if (ban && ban.until > Date.now()) this.rememberBan(client, ban);
        else this.knownBans.delete(client);
        if (this.banCache.isCurrent(client, entry)) entry.value = ban;
        return ban;
      });
    if (this.banCache.isCurrent(client, entry)) entry.value = pending;
    return pending;
  }

  /**
   * Records a response for the behaviour signals without waiting. Responses are aggregated per
   * client and sent every `store.observationFlushMs` (or as soon as `store.observationBatchSize`
   * clients are held), one store script per client, all in one round trip per Redis node: a busy
   * client costs one script per flush, not one per response. A flush that would put more than
   * `store.maxPendingObservations` scripts in flight is dropped (and counted), so a slow or hung
   * store cannot pile up work in memory.
   */
  observeInBackground(client: string, endpoint: string, status: number): void {
    const { behaviour, store } = this.options;
    if (!behaviour.enabled) return;
    const full = this.batch.add(client, endpoint.slice(0, 256), this.isError(status));
    if (full || store.observationFlushMs === 0) this.flushBatch();
    else this.flushTimer ??= setTimeout(() => this.flushBatch(), store.observationFlushMs).unref();
  }

  /** Sends what the batch holds now, and resolves once every flush started so far has been answered. */
  async flushObservations(): Promise<void> {
    this.flushBatch();
    await Promise.all([...this.flushes]);
  }

  private flushBatch(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.batch.size === 0) return;
    const observed = this.batch.take();
    if (this.pendingObservations + observed.size > this.options.store.maxPendingObservations) {
      for (const { requests } of observed.values()) this.droppedObservations += requests;
      return;
    }
    this.pendingObservations += observed.size;
    // Issued in one tick: the Redis client pipelines them (one round trip per node).
    const calls = [...observed].map(([client, observations]) =>
      this.record(client, observations)
        .then(() => this.breaker.recordAnswer())
        .catch((error: unknown) => this.breaker.failure(error))
        .finally(() => this.pendingObservations--),
    );
    const flush = Promise.all(calls).then(() => undefined);
    this.flushes.add(flush);
    void flush.finally(() => this.flushes.delete(flush));
  }

  /** Behaviour store scripts in flight (bounded by `store.maxPendingObservations`). */
  get observationsInFlight(): number {
    return this.pendingObservations;
  }

  /** Responses never sent to the store because too many observations were in flight (a slow or hung store). */
  get observationsDropped(): number {
    return this.droppedObservations;
  }

  /**
   * Distinct endpoints counted per client and window: past it the count is far over the scanning
   * limit anyway, and memory (and a script's arguments) stay bounded whatever a scanner sends.
   */
  private get distinctCap(): number {
    return Math.min(Math.max(this.options.behaviour.scanning.limit * 4, 256), 4_096);
  }

  private isError(status: number): boolean {
    return status >= 400 && !this.options.behaviour.errorIgnoredStatuses.has(status);
  }

  /**
   * Bans `client` (an address in any spelling, or a client key) on every instance sharing the
   * store. Resolves to `false`, banning nobody, for a trusted client, for something that is not an
   * address, and for a trusted proxy's address: every client behind the proxy would be refused.
   */
  async ban(
    input: string,
    options: { ttlMs?: number; reasons?: string[]; kind?: 'ban' | 'block' } = {},
  ): Promise<boolean> {
    const client = this.clientKeyOf(input);
    if (client === undefined || this.isTrusted(client)) return false;
    if (this.core.trustedProxies.overlaps(client)) {
      this.logger.warn(
        `Refused to ban ${client}: it is, or contains, a trusted proxy (every client behind it would be refused).`,
      );
      return false;
    }
    const ttlMs = Math.max(1, Math.round(options.ttlMs ?? this.options.banTtlMs));
    const record: BanRecord = {
      kind: options.kind ?? 'ban',
      reasons: options.reasons ?? ['manual'],
      until: Date.now() + ttlMs,
    };
    // Enforced here at once, before the store answers; other instances see it within banCacheMs.
    this.banCache.set(client, record, Date.now());
    this.rememberBan(client, record);
    await this.store.set(this.key(client, 'ban'), JSON.stringify(record), { ttlMs });
    await this.store.run(BAN_INDEX_ADD, [this.banIndexKey], [client, record.until, Date.now(), BAN_LIST_CAP]);
    this.events.emit({
      type: 'client.banned',
      severity: 'high',
      clientIp: client,
      reason: record.reasons.join(','),
      details: { kind: record.kind, ttlMs, until: new Date(record.until).toISOString() },
    });
    return true;
  }

  /** Lifts a ban or block on every instance (any spelling of the address). Resolves to whether there was one. */
  async unban(input: string): Promise<boolean> {
    const client = this.clientKeyOf(input);
    if (client === undefined) return false;
    const removed = await this.store.delete(this.key(client, 'ban'));
    this.banCache.set(client, undefined, Date.now());
    this.knownBans.delete(client);
    await this.store.run(BAN_INDEX_REMOVE, [this.banIndexKey], [client]);
    if (removed) this.events.emit({ type: 'client.unbanned', severity: 'info', clientIp: client, reason: 'manual' });
    return removed;
  }

  /** The admin list of bans, in its own hash tag (one Redis Cluster slot, apart from clients' keys). */
  private get banIndexKey(): string {
    return `${this.options.keyPrefix}{bans}:index`;
  }

  /**
   * The bans and blocks in force on every instance sharing the store (at most `limit`, those
   * ending first first), for an admin API; lift one with {@link unban}. Rejects when the store does.
   */
  async listBans(limit = 100): Promise<BanEntry[]> {
    const count = Math.min(Math.max(1, Math.floor(limit)), BAN_LIST_CAP);
    const listed = await this.store.run(BAN_INDEX_LIST, [this.banIndexKey], [Date.now(), count]);
    // The ban keys are the truth (a ban lifted or expired meanwhile is not listed).
    const records = await Promise.all(listed.map(([client]) => this.getBan(client)));
    const now = Date.now();
    return listed.flatMap(([client], i) => {
      const record = records[i];
      return record && record.until > now ? [{ client, ...record }] : [];
    });
  }

  /**
   * Records one request's outcome for `client` at once (no batching): rate, distinct endpoints
   * (route templates, or the path of an unmatched request), errors. Acts by mode when the
   * behaviour score reaches the threshold.
   */
  observe(client: string, endpoint: string, status: number): Promise<BehaviourSignal[]> {
    if (!this.options.behaviour.enabled) return Promise.resolve([]);
    const lastEndpoint = endpoint.slice(0, 256);
    const errors = this.isError(status) ? 1 : 0;
    return this.record(client, { requests: 1, errors, endpoints: new Set([lastEndpoint]), lastEndpoint });
  }

  private async record(client: string, observed: ClientObservations): Promise<BehaviourSignal[]> {
    const { behaviour } = this.options;
    if (this.isTrusted(client)) return [];
    const now = Date.now();
    const { requestRate, scanning, errorRate } = behaviour;
    const r = window(now, requestRate.windowMs);
    const e = window(now, errorRate.windowMs);
    const s = window(now, scanning.windowMs);
    const keys = this.observationKeys(client, r.index, e.index, s.index);
    const [rate = 0, ratePrev = 0, total = 0, totalPrev = 0, errors = 0, errorsPrev = 0, distinct = 0] =
      await this.store.run(OBSERVE, keys, [
        observed.requests,
        observed.errors,
        r.ttlMs,
        e.ttlMs,
        s.ttlMs,
        this.distinctCap,
        ...observed.endpoints,
      ]);
    const signals: BehaviourSignal[] = [];
    const rateNow = rate + ratePrev * r.previousWeight;
    if (rateNow > requestRate.limit) {
      signals.push({
        reason: 'request_rate',
        value: Math.round(rateNow),
        limit: requestRate.limit,
        score: requestRate.score,
        windowMs: requestRate.windowMs,
      });
    }
    if (distinct > scanning.limit) {
      signals.push({
        reason: 'scanning',
        value: distinct,
        limit: scanning.limit,
        score: scanning.score,
        windowMs: scanning.windowMs,
      });
    }
    const requests = total + totalPrev * e.previousWeight;
    const failed = errors + errorsPrev * e.previousWeight;
    if (requests >= errorRate.minRequests && failed / requests > errorRate.ratio) {
      signals.push({
        reason: 'error_rate',
        value: Math.round((failed / requests) * 100) / 100,
        limit: errorRate.ratio,
        score: errorRate.score,
        windowMs: errorRate.windowMs,
      });
    }
    if (signals.length > 0) await this.decideOnBehaviour(client, observed.lastEndpoint, signals);
    return signals;
  }

  /**
   * The eight keys of a client's observation, reused while its windows stay the same: a busy
   * client would otherwise build them on every request. Bounded (clients are client-chosen).
   */
  private observationKeys(client: string, r: number, e: number, s: number): string[] {
    const cached = this.keysByClient.get(client);
    if (cached && cached.r === r && cached.e === e && cached.s === s) return cached.keys;
    const keys = [
      this.key(client, `r:${r}`),
      this.key(client, `r:${r - 1}`),
      this.key(client, `t:${e}`),
      this.key(client, `t:${e - 1}`),
      this.key(client, `e:${e}`),
      this.key(client, `e:${e - 1}`),
      this.key(client, `h:${s}`),
      this.key(client, `h:${s - 1}`),
    ];
    if (this.keysByClient.size >= 1024) this.keysByClient.clear();
    this.keysByClient.set(client, { r, e, s, keys });
    return keys;
  }

  /**
   * Records a failed login. One IP failing on many logins is credential stuffing (acted on by
   * mode, like any behaviour signal); many IPs failing on one account is password spraying,
   * reported in the verdict for the caller to protect the account. The account name is hashed
   * before it reaches the store.
   */
  async recordFailedLogin(input: { ip: string; account?: string }): Promise<FailedLoginVerdict> {
    const signal = this.options.behaviour.failedLogins;
    const w = window(Date.now(), signal.windowMs);
    const ipKeys = [this.key(input.ip, `fl:${w.index}`), this.key(input.ip, `fl:${w.index - 1}`)];
    const account =
      input.account === undefined
        ? undefined
        : createHash('sha256').update(input.account).digest('base64url').slice(0, 22);
    const accountKeys = account && [
      `${this.options.keyPrefix}{acct:${account}}:ips:${w.index}`,
      `${this.options.keyPrefix}{acct:${account}}:ips:${w.index - 1}`,
    ];
    const [[current = 0, previous = 0], ipsForAccount] = await Promise.all([
      this.store.run(COUNT, ipKeys, [w.ttlMs]),
      accountKeys
        ? this.store.run(DISTINCT, accountKeys, [input.ip, w.ttlMs, Math.max(signal.ipsPerAccount * 4, 256)])
        : 0,
    ]);
    const failuresFromIp = Math.round(current + previous * w.previousWeight);
    const credentialStuffing = failuresFromIp > signal.perIp && !this.isTrusted(input.ip);
    const passwordSpraying = ipsForAccount > signal.ipsPerAccount;
    let action: FailedLoginVerdict['action'] = 'none';
    if (credentialStuffing) {
      action = await this.decideOnBehaviour(input.ip, 'login', [
        {
          reason: 'credential_stuffing',
          value: failuresFromIp,
          limit: signal.perIp,
          score: signal.score,
          windowMs: signal.windowMs,
        },
      ]);
    }
    // Reported once per account and window: every further failure on the sprayed account would
    // otherwise raise the same alert again (an attacker with 1,000 IPs, 1,000 events).
    if (
      passwordSpraying &&
      (await this.store.set(`${this.options.keyPrefix}{acct:${account ?? ''}}:sprayed:${w.index}`, '1', {
        ttlMs: w.ttlMs,
        ifAbsent: true,
      }))
    ) {
      this.events.emit({
        type: 'threat.detected',
        severity: 'high',
        clientIp: input.ip,
        reason: 'password_spraying',
        details: {
          decision: 'reported',
          ipsForAccount,
          limit: signal.ipsPerAccount,
          account: `sha256:${account ?? ''}`,
        },
      });
    }
    return { failuresFromIp, ipsForAccount, credentialStuffing, passwordSpraying, action };
  }

  private async decideOnBehaviour(
    client: string,
    route: string,
    signals: BehaviourSignal[],
  ): Promise<FailedLoginVerdict['action']> {
    const score = signals.reduce((sum, s) => sum + s.score, 0);
    if (score < this.options.threshold || this.isTrusted(client)) {
      await this.emitOnce(client, 'low', route, 'below_threshold', score, signals);
      return 'none';
    }
    const mode = this.options.mode;
    if (mode === 'monitor') {
      await this.emitOnce(client, 'medium', route, 'monitored', score, signals);
      return 'monitored';
    }
    const reasons = signals.map((s) => s.reason);
    // A block lasts as long as the longest signal's window: the behaviour is then forgotten anyway.
    const ttlMs = mode === 'ban' ? this.options.banTtlMs : Math.max(...signals.map((s) => s.windowMs));
    this.events.emit({
      type: 'threat.detected',
      severity: 'high',
      clientIp: client,
      route,
      reason: 'suspicious_behaviour',
      details: { decision: mode === 'ban' ? 'banned' : 'blocked', score, threshold: this.options.threshold, signals },
    });
    await this.ban(client, { ttlMs, reasons, kind: mode === 'ban' ? 'ban' : 'block' });
    return mode === 'ban' ? 'banned' : 'blocked';
  }

  /** One event per client and outcome per minute: a client over a limit sends many requests. */
  private async emitOnce(
    client: string,
    severity: SecuritySeverity,
    route: string,
    decision: string,
    score: number,
    signals: BehaviourSignal[],
  ): Promise<void> {
    const first = await this.store.set(this.key(client, `noted:${decision}`), '1', { ttlMs: 60_000, ifAbsent: true });
    if (!first) return;
    this.events.emit({
      type: 'threat.detected',
      severity,
      clientIp: client,
      route,
      reason: 'suspicious_behaviour',
      details: { decision, score, threshold: this.options.threshold, signals },
    });
  }

  /** Reports a store failure: the request path skips the store for a cool-down (one warning per outage). */
  storeFailed(error: unknown): void {
    this.breaker.failure(error);
  }

  /**
   * Applies `context.mode` to an inspection result: `true` to let the request proceed; otherwise
   * throws the refusal (403 THREAT_DETECTED, or 413 when only the walk bounds were exceeded), or
   * returns a promise that rejects with it once a ban (mode `ban`) is stored. Used by the guard
   * and by {@link ThreatMultipartInterceptor}.
   */
  enforce(
    result: InspectionResult,
    context: {
      clientIp: string;
      /** What bans key on (core's `clientKey`); the address itself when absent. */
      clientKey?: string;
      /** The request's headers: a cross-site browser request is no evidence for a ban. */
      headers?: Readonly<Record<string, string | string[] | undefined>>;
      requestId: string;
      route: string;
      mode: ThreatMode;
    },
  ): true | Promise<never> {
    if (result.findings.length === 0) return true;
    const { mode } = context;
    if (!result.threat || mode === 'monitor') {
      this.reportAllowed(result, context);
      return true;
    }
    if (result.findings.every((f) => f.category === 'inspection_limit' || f.score === 0)) {
      // Too large to inspect is not proof of an attack: refused (nothing hides past the bounds), never banned.
      this.reportLimitRefused(result, context);
      throw new PayloadTooLargeError(
        'The request has more fields or deeper nesting than this API inspects: send fewer or flatter values.',
        { reason: 'inspection_limit' },
      );
    }
    if (mode !== 'ban') throw this.refusal(result, mode, false);
    // Only a ban waits for the store; every other outcome is decided synchronously.
    const reasons = [...new Set(result.findings.map((f) => f.category))];
    return this.recordRefusedInput(context.clientKey ?? context.clientIp, reasons, context.headers ?? {})
      .catch((error: unknown) => {
        this.storeFailed(error);
        return false;
      })
      .then((banned) => {
        throw this.refusal(result, mode, banned);
      });
  }

  private refusal(result: InspectionResult, mode: ThreatMode, banned: boolean): ThreatDetectedError {
    return new ThreatDetectedError(undefined, {
      reason: 'malicious_input',
      eventDetails: {
        decision: banned ? 'blocked_and_banned' : 'blocked',
        mode,
        score: result.score,
        threshold: this.options.threshold,
        findings: result.findings.slice(0, 10),
      },
    });
  }

  /** The security event of a request refused because it exceeded the inspection bounds. */
  reportLimitRefused(
    result: InspectionResult,
    context: { clientIp: string; requestId: string; route: string; mode: ThreatMode },
  ): void {
    this.events.emit({
      type: 'threat.detected',
      severity: 'medium',
      requestId: context.requestId,
      clientIp: context.clientIp,
      route: context.route,
      reason: 'inspection_limit',
      details: {
        decision: 'refused',
        mode: context.mode,
        score: result.score,
        threshold: this.options.threshold,
        findings: result.findings.slice(0, 10),
      },
    });
  }

  /** The security event of an inspected request that is let through. */
  reportAllowed(
    result: InspectionResult,
    context: { clientIp: string; requestId: string; route: string; mode: ThreatMode | 'off' },
  ): void {
    if (!this.events.wants('threat.detected')) return;
    this.events.emit({
      type: 'threat.detected',
      severity: result.threat ? 'medium' : 'low',
      requestId: context.requestId,
      clientIp: context.clientIp,
      route: context.route,
      reason: 'malicious_input',
      details: {
        decision: result.threat ? 'monitored' : 'below_threshold',
        mode: context.mode,
        score: result.score,
        threshold: this.options.threshold,
        findings: result.findings.slice(0, 10),
      },
    });
  }
}

/**
 * A request a browser sent because a page of another site told it to: a navigation or a
 * subresource (`<img>`, `<script>`, a form). Fetch Metadata (W3C) is set by the browser and cannot
 * be changed by the page, so such a request is one the visitor did not choose.
 */
function isCrossSiteBrowserRequest(headers: Readonly<Record<string, string | string[] | undefined>>): boolean {
  const mode = headers['sec-fetch-mode'];
  return headers['sec-fetch-site'] === 'cross-site' && (mode === 'navigate' || mode === 'no-cors');
}

/** The fixed window `now` falls in, the weight of the previous one, and a TTL covering both. */
function window(now: number, windowMs: number): { index: number; previousWeight: number; ttlMs: number } {
  const index = Math.floor(now / windowMs);
  const elapsed = now - index * windowMs;
  return { index, previousWeight: 1 - elapsed / windowMs, ttlMs: Math.max(1, (index + 2) * windowMs - now) };
}
