import { PlainText } from '@rampart/validation';
import { ArrayMaxSize, IsArray, IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';

const DAY_SECONDS = 24 * 60 * 60;

/**
 * The scopes this API declares (its `@Scopes()` routes): the only ones a key may carry. A key
 * with `*` or `admin` would otherwise be accepted as a string and mean whatever a future route,
 * or a partner's misreading, makes of it.
 */
export const API_KEY_SCOPES = ['partner:read', 'notes:read', 'notes:write', 'profile'] as const;

/** A new partner API key. The service re-checks scopes: this is the shape, that is the rule. */
export class CreateApiKeyDto {
  @PlainText({ maxLength: 100 })
  name!: string;

  /** RFC 6749 scope tokens (printable ASCII, no space, quote or backslash). */
  @IsArray()
  @ArrayMaxSize(64)
  @IsString({ each: true })
  @Matches(/^[\x21\x23-\x5B\x5D-\x7E]{1,128}$/, { each: true })
  @IsIn(API_KEY_SCOPES, { each: true, message: `each scope must be one of: ${API_KEY_SCOPES.join(', ')}` })
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
