import { Transform } from 'class-transformer';

const DECIMAL = /^-?[0-9]{1,15}$/;

/**
 * Converts a string of decimal digits (a query parameter) to a number, and nothing else:
 * `"1e3"`, `"0x10"`, `" 7"`, `""` and `["1","2"]` stay as they are for `@IsInt()` to refuse,
 * where `Number()` or implicit conversion would accept them.
 * @publicApi
 * @example
 * @ToInt() @IsInt() @Min(1) page = 1;
 */
export function ToInt(): PropertyDecorator {
  return Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && DECIMAL.test(value) ? Number(value) : value,
  );
}
