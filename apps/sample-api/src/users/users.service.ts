import { Inject, Injectable } from '@nestjs/common';
import type { AccountStatus, UserStatusProvider } from '@rampart/auth';
import { ServiceUnavailableError } from '@rampart/errors';
import { randomBytes, scrypt, scryptSync, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { APP_CONFIG, type AppConfig } from '../app.config';

export type Role = 'user' | 'admin';

export interface User {
  id: string;
  email: string;
  name: string;
  role: Role;
  tenantId: string;
  status: AccountStatus;
  /** scrypt; never serialised (the abilities grant no read on it, and AuthModule hides it always). */
  passwordHash: string;
}

/** Demo users (password: `<name>-password`). Two tenants, so tenant isolation can be shown. */
const DEMO_USERS: readonly Omit<User, 'passwordHash'>[] = [
  { id: 'u-alice', email: 'alice@acme.test', name: 'alice', role: 'user', tenantId: 'acme', status: 'active' },
  { id: 'u-bob', email: 'bob@acme.test', name: 'bob', role: 'user', tenantId: 'acme', status: 'active' },
  { id: 'u-admin', email: 'admin@acme.test', name: 'admin', role: 'admin', tenantId: 'acme', status: 'active' },
  { id: 'u-carol', email: 'carol@acme.test', name: 'carol', role: 'user', tenantId: 'acme', status: 'suspended' },
  { id: 'u-gina', email: 'gina@globex.test', name: 'gina', role: 'admin', tenantId: 'globex', status: 'active' },
];

const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, length: number) => Promise<Buffer>;

/**
 * scrypt runs on libuv's thread pool (4 threads, shared with DNS and file I/O): at most this many
 * password checks at once, so a flood of wrong passwords neither blocks the event loop (scryptSync
 * did, ~40 ms each) nor takes every pool thread.
 */
const MAX_CONCURRENT_HASHES = 2;
/** Checks waiting for a slot beyond this are refused (503): the queue must not grow without bound. */
const MAX_WAITING_HASHES = 256;

/** A counting semaphore: `run` waits for a free slot, bounded in how many may wait. */
class HashSlots {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.active >= MAX_CONCURRENT_HASHES) {
      if (this.waiting.length >= MAX_WAITING_HASHES) {
        throw new ServiceUnavailableError('Too many sign-ins at once: retry shortly.', {
          reason: 'password_hash_queue_full',
          headers: { 'Retry-After': '1' },
        });
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.active++;
    }
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      // The slot passes straight to the next waiter; otherwise it is freed.
      if (next) next();
      else this.active--;
    }
  }
}

function hashPassword(password: string): string {
  const salt = randomBytes(16);
  return `scrypt$${salt.toString('base64url')}$${scryptSync(password, salt, 32).toString('base64url')}`;
}

/**
 * Users in memory (the demo users unless `DEMO_USERS=false`, which production requires); also the
 * AuthModule's account-status source.
 */
@Injectable()
export class UsersService {
  private readonly users: Map<string, User>;
  private readonly hashSlots = new HashSlots();

  constructor(@Inject(APP_CONFIG) config: Pick<AppConfig, 'demoUsers'>) {
    const seed = config.demoUsers ? DEMO_USERS : [];
    this.users = new Map(seed.map((u) => [u.id, { ...u, passwordHash: hashPassword(`${u.name}-password`) }]));
  }

  list(): User[] {
    return [...this.users.values()].map((u) => ({ ...u }));
  }

  find(id: string): User | undefined {
    const user = this.users.get(id);
    return user && { ...user };
  }

  /** What AuthModule checks on every request: the account's status, roles and tenant now. */
  readonly status: UserStatusProvider = {
    find: async (id) => {
      const user = this.users.get(id);
      return user && { status: user.status, roles: [user.role], tenantId: user.tenantId };
    },
  };

  update(id: string, changes: Partial<Pick<User, 'name' | 'role' | 'status'>>): User | undefined {
    const user = this.users.get(id);
    if (!user) return undefined;
    Object.assign(user, changes);
    return { ...user };
  }

  /**
   * For a login form: the user, if the password matches (constant-time compare). An unknown e-mail
   * costs the same scrypt as a known one (no timing oracle for taken addresses).
   */
  async verifyPassword(email: string, password: string): Promise<User | undefined> {
    const user = [...this.users.values()].find((u) => u.email === email);
    const [, salt = '', expected = ''] = (user?.passwordHash ?? 'scrypt$$').split('$');
    const actual = await this.hashSlots.run(() => scryptAsync(password, Buffer.from(salt, 'base64url'), 32));
    const wanted = Buffer.from(expected, 'base64url');
    const ok = wanted.length === actual.length && timingSafeEqual(actual, wanted);
    return ok && user?.status === 'active' ? { ...user } : undefined;
  }
}
