import { normalizeUnicode, passwordWeakness, sanitizeHtml, stripHtml } from '@rampart/validation';
import { z } from 'zod';

/**
 * The sign-up body as a Standard Schema (zod 4), for the route that shows the schema path of the
 * same pipe. `z.object` strips unknown keys by default; the pipe turns a stripped key into a 400
 * naming it, as it does for DTOs. Sanitising is the same functions the decorators use.
 */
export const createAccountSchema = z.object({
  email: z.email().max(255),
  username: z.string().regex(/^[a-zA-Z0-9_-]{3,50}$/, 'username must be 3 to 50 letters, digits, "_" or "-"'),
  password: z
    .string()
    .refine((value) => passwordWeakness(value) === undefined, 'password is too weak or of the wrong length'),
  profile: z.object({
    displayName: z
      .string()
      .transform((value) => stripHtml(normalizeUnicode(value)).trim())
      .pipe(z.string().min(1).max(100)),
    bio: z
      .string()
      .transform((value) => sanitizeHtml(normalizeUnicode(value, { allowLineBreaks: true })))
      .pipe(z.string().max(500))
      .optional(),
  }),
});

export type CreateAccountInput = z.infer<typeof createAccountSchema>;
