import { PlainText, RichText } from '@rampart/validation';
import { IsOptional } from 'class-validator';

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
