import { PlainText, RichText } from '@rampart/validation';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsOptional, ValidateNested } from 'class-validator';

/**
 * A section of a note: a plain heading over rich text. Nested, so the threat guard's per-field
 * policy applies at `body.blocks.*.html` (XSS left to the sanitiser) while `body.blocks.*.heading`
 * is inspected for everything.
 */
export class NoteBlockDto {
  @PlainText({ maxLength: 200 })
  heading!: string;

  @RichText({ maxLength: 10_000 })
  html!: string;
}

/**
 * A note as a client writes it. Nothing else is accepted: `ownerId`, `tenantId` or `id` in a body
 * is a 400 naming the field (mass assignment), before any handler runs.
 */
export class CreateNoteDto {
  @PlainText({ maxLength: 200 })
  title!: string;

  /** Rendered as rich text: only the allowlisted tags survive. */
  @RichText({ maxLength: 10_000 })
  body!: string;

  /** Optional sections after the body. */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @ValidateNested({ each: true })
  @Type(() => NoteBlockDto)
  blocks?: NoteBlockDto[];
}

/** PATCH: any of the fields. */
export class UpdateNoteDto {
  @IsOptional()
  @PlainText({ maxLength: 200 })
  title?: string;

  @IsOptional()
  @RichText({ maxLength: 10_000 })
  body?: string;
}
