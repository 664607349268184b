import { CreateUserDto, IsSafeUrl, PaginationQuery, PlainText, RichText, Trim } from '@rampart/validation';
import { IsOptional } from 'class-validator';
import type { AccountSortField } from './accounts.service';

/** Sign-up body: the library's create-user DTO as it is. */
export class CreateAccountDto extends CreateUserDto {}

/** PATCH body: any of the fields, sanitised like the sign-up profile. */
export class UpdateProfileDto {
  @IsOptional()
  @PlainText({ maxLength: 100 })
  displayName?: string;

  @IsOptional()
  @RichText({ maxLength: 500 })
  bio?: string;

  /** Rendered as a link on the profile page, so only public https URLs. */
  @IsOptional()
  @IsSafeUrl({ protocols: ['https'] })
  @Trim()
  website?: string;
}

const SORT_FIELDS: readonly [AccountSortField, ...AccountSortField[]] = ['createdAt', 'username'];

/** `?page=&limit=&sortBy=createdAt|username&order=asc|desc` */
export class ListAccountsQuery extends PaginationQuery({ sortBy: SORT_FIELDS }) {}
