import { PlainText } from '@rampart/validation';
import { ArrayMaxSize, IsArray, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';

const DAY_SECONDS = 24 * 60 * 60;

/**
 * A new partner API key. This is the shape; which scopes a key may carry is the library's rule
 * (`apiKeys.scopes` in sample-auth.module.ts), so `*` or `admin` is refused however a key is made.
 */
export class CreateApiKeyDto {
  @PlainText({ maxLength: 100 })
  name!: string;

  /** RFC 6749 scope tokens (printable ASCII, no space, quote or backslash). */
  @IsArray()
  @ArrayMaxSize(64)
  @IsString({ each: true })
  @Matches(/^[\x21\x23-\x5B\x5D-\x7E]{1,128}$/, { each: true })
  scopes!: string[];

  @IsOptional()
  @IsInt()
  @Min(60)
  @Max(730 * DAY_SECONDS)
  expiresInSeconds?: number;
}

/** How long the key being replaced keeps working, so the partner can deploy the new one. */
export class RotateApiKeyDto {
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(30 * DAY_SECONDS)
  overlapSeconds?: number;
}
