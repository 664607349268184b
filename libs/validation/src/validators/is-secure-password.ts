import { ValidateBy, type ValidationOptions } from 'class-validator';

/** Options of {@link IsSecurePassword}. @publicApi */
export interface SecurePasswordOptions {
  /** In characters (code points). @default 12 */
  minLength?: number;
  /** Bounds the cost of hashing: a 1 MB "password" is a denial of service on bcrypt/argon2. @default 128 */
  maxLength?: number;
}

/**
 * A few of the most common passwords of 12+ characters (from public breach corpora). Use a
 * breached-password service (e.g. k-anonymity range queries) for the full check.
 */
const COMMON = new Set([
  '123456789012',
  '1234567890123',
  'qwertyuiopasdfghjkl',
  'password1234',
  'password12345',
  'passwordpassword',
  'qwerty123456',
  'iloveyou1234',
  '111111111111',
  '000000000000',
  'aaaaaaaaaaaa',
  'abcdefghijkl',
  'abc123abc123',
  '1q2w3e4r5t6y',
  'qwertyuiop12',
  'letmein12345',
  'welcome12345',
  'administrator',
  'changeme1234',
]);

/** Why `password` is refused, or undefined when it is acceptable. */
export function passwordWeakness(password: unknown, options: SecurePasswordOptions = {}): string | undefined {
  const min = options.minLength ?? 12;
  const max = options.maxLength ?? 128;
  if (typeof password !== 'string') return 'must be a string';
  // Code points, not UTF-16 units: an emoji counts once, as users count it.
  const length = Array.from(password).length;
  if (length < min || length > max) return `must be ${min} to ${max} characters long`;
  if (COMMON.has(password.toLowerCase())) return 'is a commonly used password';
  if (new Set(password).size < 5) return 'must use more than 4 different characters';
  return undefined;
}

/**
 * A password policy after NIST SP 800-63B §5.1.1: length (12–128) over composition rules, and
 * no well-known or degenerate passwords. The message never includes the password.
 * @publicApi
 * @example
 * @IsSecurePassword() password!: string;
 */
export function IsSecurePassword(
  options: SecurePasswordOptions = {},
  validationOptions?: ValidationOptions,
): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isSecurePassword',
      validator: {
        validate: (value: unknown) => passwordWeakness(value, options) === undefined,
        defaultMessage: (args) => `$property ${passwordWeakness(args?.value, options) ?? 'is not accepted'}`,
      },
    },
    validationOptions,
  );
}
