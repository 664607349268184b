import { Inject, Injectable } from '@nestjs/common';
import type { AccountStatus, UserStatusProvider } from '@rampart/auth';
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
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

  /** For a login form: the user, if the password matches (constant-time compare). */
  verifyPassword(email: string, password: string): User | undefined {
    const user = [...this.users.values()].find((u) => u.email === email);
    const [, salt = '', expected = ''] = (user?.passwordHash ?? 'scrypt$$').split('$');
    const actual = scryptSync(password, Buffer.from(salt, 'base64url'), 32);
    const wanted = Buffer.from(expected, 'base64url');
    const ok = wanted.length === actual.length && timingSafeEqual(actual, wanted);
    return ok && user?.status === 'active' ? { ...user } : undefined;
  }
}
