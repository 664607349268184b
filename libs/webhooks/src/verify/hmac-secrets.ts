import { InvalidWebhookKeyError } from './webhook-keys';

/** Shortest secret accepted for schemes that take the secret as text (Stripe, GitHub). */
const MIN_SECRET_LENGTH = 16;

/** The HMAC keys of secrets used as UTF-8 text, checked at bootstrap. */
export function textSecrets(secrets: readonly string[] | undefined, scheme: string): Buffer[] {
  if (!Array.isArray(secrets) || secrets.length === 0) {
    throw new InvalidWebhookKeyError(`A ${scheme} endpoint needs at least one secret.`);
  }
  return secrets.map((secret: unknown, i) => {
    // A short secret can be found offline by brute force from one captured signature.
    if (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH) {
      throw new InvalidWebhookKeyError(`secrets[${i}] must be a string of at least ${MIN_SECRET_LENGTH} characters.`);
    }
    return Buffer.from(secret, 'utf8');
  });
}
