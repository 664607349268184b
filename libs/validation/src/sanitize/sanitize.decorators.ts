import { applyDecorators } from '@nestjs/common';
import { markFieldKind } from '@rampart/core';
import { Transform } from 'class-transformer';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';
import sanitize from 'sanitize-html';
import {
  htmlSanitizerOptions,
  normalizeUnicode,
  stripHtml,
  type HtmlAllowlist,
  type NormalizeUnicodeOptions,
} from './sanitize';

/** Applies `fn` to a string, or to each string of an array; leaves other values for the validators to refuse. */
function transformStrings(fn: (value: string) => string): PropertyDecorator {
  return Transform(({ value }: { value: unknown }) => {
    if (typeof value === 'string') return fn(value);
    if (Array.isArray(value)) return value.map((item: unknown) => (typeof item === 'string' ? fn(item) : item));
    return value;
  });
}

/**
 * Sanitises an HTML field to an allowlist (default: `b i em strong a[href]`, links http/https/mailto
 * only) during the pipe's transformation, before validation. Put length checks after it in reading
 * order; they see the sanitised value.
 * @publicApi
 * @example
 * @IsString() @MaxLength(500) @SanitizeHtml() bio!: string;
 */
export function SanitizeHtml(allowlist?: HtmlAllowlist): PropertyDecorator {
  const options = htmlSanitizerOptions(allowlist);
  return transformStrings((value) => sanitize(value, options));
}

/**
 * Removes every HTML tag (the text is kept, entity-encoded).
 * @publicApi
 * @example
 * @IsString() @StripHtml() displayName!: string;
 */
export function StripHtml(): PropertyDecorator {
  return transformStrings(stripHtml);
}

/**
 * Trims white space at both ends.
 * @publicApi
 * @example
 * @IsEmail() @Trim() email!: string;
 */
export function Trim(): PropertyDecorator {
  return transformStrings((value) => value.trim());
}

/**
 * NFC-normalises and removes control characters and bidi overrides.
 * @publicApi
 * @example
 * @IsString() @NormalizeUnicode() username!: string;
 */
export function NormalizeUnicode(options?: NormalizeUnicodeOptions): PropertyDecorator {
  return transformStrings((value) => normalizeUnicode(value, options));
}

/**
 * A short line of plain text from a client (a name, a title): a non-empty string of at most
 * `maxLength` characters once trimmed, with markup stripped and Unicode normalised. The same as
 * `@IsString() @IsNotEmpty() @MaxLength(n) @Trim() @StripHtml() @NormalizeUnicode()`.
 * @publicApi
 * @example
 * @PlainText({ maxLength: 100 }) displayName!: string;
 */
export function PlainText(options: { maxLength: number }): PropertyDecorator {
  // Listed in reverse reading order: applyDecorators runs them first to last, while stacked
  // decorators run bottom-up; the transforms must run in the same order either way.
  return applyDecorators(
    NormalizeUnicode(),
    StripHtml(),
    Trim(),
    MaxLength(options.maxLength),
    IsNotEmpty(),
    IsString(),
  );
}

/**
 * A longer text with light formatting (a bio, a comment): a string of at most `maxLength`
 * characters after sanitising, HTML kept to the allowlist of {@link SanitizeHtml}, line breaks
 * kept. Written out: `@IsString() @MaxLength(n) @SanitizeHtml(allowlist) @NormalizeUnicode({ allowLineBreaks: true })`.
 * @publicApi
 * @example
 * @IsOptional() @RichText({ maxLength: 500 }) bio?: string;
 */
export function RichText(options: { maxLength: number; allowlist?: HtmlAllowlist }): PropertyDecorator {
  // Reverse reading order, as in PlainText: normalise, then sanitise, then check the length of what is kept.
  return applyDecorators(
    // Tells the threat lib the field carries markup by design: sanitised here, not refused as XSS there.
    (target: object, property: string | symbol) => markFieldKind(target, property, 'rich_text'),
    NormalizeUnicode({ allowLineBreaks: true }),
    SanitizeHtml(options.allowlist),
    MaxLength(options.maxLength),
    IsString(),
  );
}
