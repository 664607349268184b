import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { InvalidOptionsError } from '@rampart/core';
import { ToInt } from './to-int.decorator';

/** Options of {@link PaginationQuery}. @publicApi */
export interface PaginationOptions<S extends string> {
  /** Fields a client may sort by; anything else is refused (no sorting on unindexed or secret columns). */
  sortBy: readonly [S, ...S[]];
  /** @default the first of `sortBy` */
  defaultSortBy?: S;
  /** @default 20 */
  defaultLimit?: number;
  /** At most 100. @default 100 */
  maxLimit?: number;
}

/** The validated query of a paginated listing. @publicApi */
export interface Pagination<S extends string> {
  page: number;
  limit: number;
  sortBy: S;
  order: 'asc' | 'desc';
}

/**
 * A DTO class for `?page=&limit=&sortBy=&order=`: page 1–1000 (deeper pages are a scraping and
 * database-cost vector: use a cursor), limit 1–100, sortBy from an allowlist, order asc/desc,
 * each with a default.
 * @publicApi
 * @example
 * class ListUsersQuery extends PaginationQuery({ sortBy: ['createdAt', 'username'] }) {}
 * list(@Query() query: ListUsersQuery) {}
 */
export function PaginationQuery<const S extends string>(options: PaginationOptions<S>): new () => Pagination<S> {
  const maxLimit = options.maxLimit ?? 100;
  const defaultLimit = options.defaultLimit ?? 20;
  if (!Number.isInteger(maxLimit) || maxLimit < 1 || maxLimit > 100 || defaultLimit < 1 || defaultLimit > maxLimit) {
    throw new InvalidOptionsError(
      'VALIDATION_INVALID_OPTIONS',
      'PaginationQuery: use 1 ≤ defaultLimit ≤ maxLimit ≤ 100.',
    );
  }
  const sortFields: readonly S[] = options.sortBy;
  const defaultSortBy = options.defaultSortBy ?? options.sortBy[0];

  class PaginationQueryDto implements Pagination<S> {
    @IsOptional() @ToInt() @IsInt() @Min(1) @Max(1000) page = 1;
    @IsOptional() @ToInt() @IsInt() @Min(1) @Max(maxLimit) limit = defaultLimit;
    @IsOptional() @IsIn(sortFields) sortBy: S = defaultSortBy;
    @IsOptional() @IsIn(['asc', 'desc']) order: 'asc' | 'desc' = 'asc';
  }
  return PaginationQueryDto;
}
