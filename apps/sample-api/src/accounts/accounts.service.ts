import { Injectable } from '@nestjs/common';
import { NotFoundError, SecurityError, ServiceUnavailableError } from '@rampart/errors';
import type { Pagination } from '@rampart/validation';
import { randomBytes, randomUUID, scrypt } from 'node:crypto';
import { promisify } from 'node:util';

const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, length: number) => Promise<Buffer>;

export interface Profile {
  displayName: string;
  bio?: string | undefined;
  website?: string | undefined;
}

export interface NewAccount {
  email: string;
  username: string;
  password: string;
  profile: Profile;
}

export interface Account {
  id: string;
  email: string;
  username: string;
  profile: Profile;
  createdAt: string;
}

export interface Page<T> {
  items: T[];
  page: number;
  limit: number;
  total: number;
}

export type AccountSortField = 'createdAt' | 'username';

/** Anyone can sign up, so the store is bounded: a flood of sign-ups must not exhaust memory. */
const MAX_ACCOUNTS = 10_000;

/** Sign-ups kept in memory: the sample's data layer for the validation routes. */
@Injectable()
export class AccountsService {
  private readonly accounts = new Map<string, Account & { passwordHash: string }>();

  async create(input: NewAccount): Promise<Account> {
    if (this.accounts.size >= MAX_ACCOUNTS) throw new ServiceUnavailableError('Sign-ups are closed for now.');
    for (const existing of this.accounts.values()) {
      if (existing.username === input.username || existing.email === input.email) {
        throw new SecurityError('CONFLICT', 409, 'This username or email is already taken.', {
          reason: 'duplicate_account',
        });
      }
    }
    const salt = randomBytes(16);
    const hash = await scryptAsync(input.password, salt, 32);
    const account: Account = {
      id: randomUUID(),
      email: input.email,
      username: input.username,
      profile: { ...input.profile },
      createdAt: new Date().toISOString(),
    };
    this.accounts.set(account.id, {
      ...account,
      passwordHash: `scrypt$${salt.toString('base64url')}$${hash.toString('base64url')}`,
    });
    return account;
  }

  get(id: string): Account {
    const stored = this.accounts.get(id);
    if (!stored) throw new NotFoundError('No account with this id.');
    return publicView(stored);
  }

  updateProfile(id: string, changes: Partial<Profile>): Account {
    const stored = this.accounts.get(id);
    if (!stored) throw new NotFoundError('No account with this id.');
    stored.profile = { ...stored.profile, ...changes };
    return publicView(stored);
  }

  list(query: Pagination<AccountSortField>): Page<Account> {
    const direction = query.order === 'asc' ? 1 : -1;
    const sorted = [...this.accounts.values()].sort(
      (a, b) => direction * a[query.sortBy].localeCompare(b[query.sortBy]),
    );
    const start = (query.page - 1) * query.limit;
    return {
      items: sorted.slice(start, start + query.limit).map(publicView),
      page: query.page,
      limit: query.limit,
      total: sorted.length,
    };
  }
}

function publicView(stored: Account & { passwordHash: string }): Account {
  const { id, email, username, profile, createdAt } = stored;
  return { id, email, username, profile: { ...profile }, createdAt };
}
