import { Injectable } from '@nestjs/common';
import { Logger } from '@nestjs/common';
import { NotFoundError, ServiceUnavailableError } from '@rampart/errors';
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
  /** The organisation the account belongs to: every read and write is scoped to it. */
  tenantId: string;
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

/**
 * The demo's organisations by e-mail domain: a sign-up joins the tenant of its (to be verified)
 * address; any other address gets a tenant of its own, which no one else's listing reaches.
 */
const TENANT_OF_DOMAIN: Readonly<Record<string, string>> = { 'acme.test': 'acme', 'globex.test': 'globex' };

/** Sign-ups kept in memory: the sample's data layer for the validation routes. */
@Injectable()
export class AccountsService {
  private readonly accounts = new Map<string, Account & { passwordHash: string }>();

  private readonly logger = new Logger('Accounts');

  /**
   * Signs up, answering the same whether the e-mail or username is free or taken (the caller gets
   * "check your e-mail" either way): a different answer, or a faster one, would let anyone test
   * which addresses have accounts. A real app e-mails the owner of a taken address instead.
   */
  async create(input: NewAccount): Promise<void> {
    if (this.accounts.size >= MAX_ACCOUNTS) throw new ServiceUnavailableError('Sign-ups are closed for now.');
    // The hash is computed in both cases, so a taken address takes as long as a free one.
    const salt = randomBytes(16);
    const hash = await scryptAsync(input.password, salt, 32);
    const email = input.email.toLowerCase();
    for (const existing of this.accounts.values()) {
      if (existing.username === input.username || existing.email === email) {
        this.logger.log('Sign-up with a taken e-mail or username: the owner would be e-mailed, nothing is created.');
        return;
      }
    }
    const id = randomUUID();
    const domain = email.slice(email.lastIndexOf('@') + 1);
    this.accounts.set(id, {
      id,
      tenantId: TENANT_OF_DOMAIN[domain] ?? `account:${id}`,
      email,
      username: input.username,
      profile: { ...input.profile },
      createdAt: new Date().toISOString(),
      passwordHash: `scrypt$${salt.toString('base64url')}$${hash.toString('base64url')}`,
    });
  }

  /** The account (every field but the hash): the caller checks who may see it, and which fields. */
  find(id: string): Account | undefined {
    const stored = this.accounts.get(id);
    return stored && withoutHash(stored);
  }

  updateProfile(id: string, changes: Partial<Profile>): Account {
    const stored = this.accounts.get(id);
    if (!stored) throw new NotFoundError('No account with this id.');
    stored.profile = { ...stored.profile, ...changes };
    return withoutHash(stored);
  }

  /** One page of the accounts of `tenantId`: a listing never crosses tenants, whatever the query. */
  list(tenantId: string | undefined, query: Pagination<AccountSortField>): Page<Account> {
    const direction = query.order === 'asc' ? 1 : -1;
    const sorted = [...this.accounts.values()]
      .filter((account) => tenantId !== undefined && account.tenantId === tenantId)
      .sort((a, b) => direction * a[query.sortBy].localeCompare(b[query.sortBy]));
    const start = (query.page - 1) * query.limit;
    return {
      items: sorted.slice(start, start + query.limit).map(withoutHash),
      page: query.page,
      limit: query.limit,
      total: sorted.length,
    };
  }
}

function withoutHash(stored: Account & { passwordHash: string }): Account {
  const { id, tenantId, email, username, profile, createdAt } = stored;
  return { id, tenantId, email, username, profile: { ...profile }, createdAt };
}
