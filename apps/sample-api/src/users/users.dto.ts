import { PlainText } from '@rampart/validation';
import { IsIn, IsOptional } from 'class-validator';

export const ROLES = ['user', 'admin'] as const;
export const STATUSES = ['active', 'suspended', 'locked', 'deleted'] as const;

/**
 * The fields of a user anyone may ask to change. Which of them a caller may actually write is the
 * field-level policy's call (abilities.ts): a user setting their own `role` gets 403 listing it.
 * Fields not declared here (`tenantId`, `passwordHash`) are a 400 before that.
 */
export class UpdateUserDto {
  @IsOptional()
  @PlainText({ maxLength: 100 })
  name?: string;

  @IsOptional()
  @IsIn(ROLES)
  role?: (typeof ROLES)[number];

  @IsOptional()
  @IsIn(STATUSES)
  status?: (typeof STATUSES)[number];
}
