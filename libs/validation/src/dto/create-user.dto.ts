import { Type } from 'class-transformer';
import { IsEmail, IsObject, IsOptional, IsString, Matches, MaxLength, ValidateNested } from 'class-validator';
import { PlainText, RichText, Trim } from '../sanitize/sanitize.decorators';
import { IsSecurePassword } from '../validators/is-secure-password';

/**
 * A user's public profile: a plain-text display name and a bio with light formatting.
 * Transformations run bottom-up (the decorator nearest the property first), then validation.
 * @publicApi
 * @example
 * class UpdateProfileDto extends UserProfileDto {}
 */
export class UserProfileDto {
  @PlainText({ maxLength: 100 })
  displayName!: string;

  @IsOptional()
  @RichText({ maxLength: 500 })
  bio?: string;
}

/**
 * Sign-up: email ≤ 255, username 3–50 of `[a-zA-Z0-9_-]`, password 12–128, a profile. Anything
 * else in the body (`role`, `isAdmin`, `id`) is refused by the pipe.
 * @publicApi
 * @example
 * @Post() create(@Body() body: CreateUserDto) {}
 */
export class CreateUserDto {
  @IsEmail()
  @MaxLength(255)
  @Trim()
  email!: string;

  @IsString()
  @Matches(/^[a-zA-Z0-9_-]{3,50}$/, { message: 'username must be 3 to 50 letters, digits, "_" or "-"' })
  username!: string;

  @IsSecurePassword({ minLength: 12, maxLength: 128 })
  password!: string;

  // ValidateNested alone lets a missing profile through.
  @IsObject()
  @ValidateNested()
  @Type(() => UserProfileDto)
  profile!: UserProfileDto;
}
