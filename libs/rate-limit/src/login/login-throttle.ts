import { Inject, Injectable, Optional } from '@nestjs/common';
import { RAMPART_STORE, type Store } from '@rampart/core';
import { RateLimitedError } from '@rampart/errors';
import { createHash } from 'node:crypto';
import { RATE_LIMIT_OPTIONS } from '../rate-limit.constants';
import type { ResolvedLoginLimit, ResolvedRateLimitOptions } from '../rate-limit.options';
import { chooseStore } from '../storage/create-rate-limit-storage';
import { LOGIN_ATTEMPT, LOGIN_SUCCEEDED } from './login.scripts';

/** Who is trying to sign in: the client IP (core's `getRequestContext(req).clientIp`) and the account name typed. */
export interface LoginSubject {
  ip: string;
  account: string;
}

type Scope = 'account' | 'ip';

/** An IP as core spells it; anything else (braces would break the key's hash tag) is hashed. */
const IP_SPELLING = /^[0-9A-Fa-f:./]{1,64}$/;

/**
 * The account as a key part: normalised, so `Alice@Example.com ` and `alice@example.com` share a
 * counter (otherwise each spelling gets its own `failures`), and hashed, so the store never holds
 * the names people typed (a Redis dump is not a list of e-mail addresses).
 */
export function accountKeyPart(account: string): string {
  const normalised = account.normalize('NFKC').trim().toLowerCase();
  return createHash('sha256').update(normalised).digest('base64url');
}

/**
 * Login throttling around a password check, per account and per client IP, counting failures only:
 * a success forgives the account's failures and does not count against the IP, so an office of
 * people signing in from one address is never locked out, while guessing one account's password
 * from many addresses (10 failures by default) or many accounts' from one address (20) is refused
 * with 429 and `Retry-After` for the block time, on every instance sharing the store.
 *
 * Each attempt is counted before the password is checked (one atomic script per subject), so a
 * burst of parallel guesses gets no more than the limit. A store outage refuses the login with 503
 * (`StoreUnavailableError`): a login that cannot be counted would be an unlimited guess.
 * @publicApi
 * @example
 * constructor(private readonly throttle: LoginThrottle) {}
 * async login(dto: LoginDto, @Req() req: object) {
 *   const user = await this.throttle.attempt({ ip: getRequestContext(req).clientIp, account: dto.email }, () =>
 *     this.users.verifyPassword(dto.email, dto.password),
 *   );
 *   if (!user) throw new UnauthorizedError('The email or password is wrong.');
 * }
 */
@Injectable()
export class LoginThrottle {
  private readonly store: Store;
  private readonly prefix: string;

  constructor(
    @Inject(RATE_LIMIT_OPTIONS) private readonly options: ResolvedRateLimitOptions,
    @Optional() @Inject(RAMPART_STORE) coreStore?: Store,
  ) {
    // The module's store: core's Redis store shared by every instance, or a private bounded one.
    this.store = chooseStore(options, coreStore);
    this.prefix = `${options.keyPrefix}login:`;
  }

  /**
   * Runs `verify` (the password check) unless the IP or the account is blocked. A truthy result is
   * a success, anything else (or a throw) a failure. Resolves to `verify`'s result; rejects with
   * `RateLimitedError` (429, `Retry-After`) without calling `verify` when blocked.
   */
  async attempt<T>(subject: LoginSubject, verify: () => T | Promise<T>): Promise<T> {
    const account = this.keys('account', accountKeyPart(subject.account));
    const ip = this.keys('ip', IP_SPELLING.test(subject.ip) ? subject.ip : accountKeyPart(subject.ip));
    const [accountWaitMs, ipWaitMs] = await Promise.all([
      this.store.run(LOGIN_ATTEMPT, account, this.args(this.options.login.perAccount)),
      this.store.run(LOGIN_ATTEMPT, ip, this.args(this.options.login.perIp)),
    ]);
    if (accountWaitMs > 0 || ipWaitMs > 0) {
      // An attempt refused on one subject was counted on the other; it checked no password, so
      // give it back (a blocked IP must not spend a victim's account failures).
      await Promise.all([
        accountWaitMs === 0 ? this.store.run(LOGIN_SUCCEEDED, [account[0]], ['refund']) : undefined,
        ipWaitMs === 0 ? this.store.run(LOGIN_SUCCEEDED, [ip[0]], ['refund']) : undefined,
      ]);
      const scope: Scope = accountWaitMs >= ipWaitMs ? 'account' : 'ip';
      throw this.refusal(scope, Math.max(accountWaitMs, ipWaitMs));
    }
    const result = await verify();
    if (result) {
      await Promise.all([
        this.store.run(LOGIN_SUCCEEDED, [account[0]], ['reset']),
        this.store.run(LOGIN_SUCCEEDED, [ip[0]], ['refund']),
      ]);
    }
    return result;
  }

  /** Counter and block keys of one subject, under one `{hash tag}` (Redis Cluster: one slot per script). */
  private keys(scope: Scope, id: string): [string, string] {
    const tag = `${this.prefix}{${scope}:${id}}`;
    return [`${tag}:failures`, `${tag}:blocked`];
  }

  private args(limit: ResolvedLoginLimit): number[] {
    return [limit.failures, limit.windowMs, limit.blockForMs];
  }

  private refusal(scope: Scope, waitMs: number): RateLimitedError {
    const retryAfter = Math.max(1, Math.ceil(waitMs / 1000));
    return new RateLimitedError(`Too many failed sign-ins: retry in ${retryAfter} s.`, {
      reason: 'login_throttled',
      headers: { 'Retry-After': String(retryAfter) },
      extensions: { limitedBy: `login-${scope}`, retryAfter },
      eventDetails: { policy: 'login', scope },
    });
  }
}
