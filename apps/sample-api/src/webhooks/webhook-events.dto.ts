import { IsISO8601, IsObject, Matches } from 'class-validator';

/** A Standard Webhooks event as the spec recommends its payload: `type`, `timestamp`, `data`. */
export class StandardWebhookEventDto {
  /** Full-stop delimited, e.g. `invoice.paid`. */
  @Matches(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*){0,5}$/)
  type!: string;

  @IsISO8601()
  timestamp!: string;

  @IsObject()
  data!: Record<string, unknown>;
}
