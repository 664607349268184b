import { IsIn, IsInt, IsISO8601, Max, Min } from 'class-validator';

/** What the sample accepts from the partner's `GET /quote`: anything else is dropped or refused. */
export class PartnerQuoteDto {
  @IsIn(['EUR', 'USD', 'GBP'])
  currency!: string;

  /** In cents. */
  @IsInt()
  @Min(0)
  @Max(100_000_000)
  amount!: number;

  @IsISO8601({ strict: true })
  validUntil!: string;
}
