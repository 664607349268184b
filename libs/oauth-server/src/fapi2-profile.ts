import { Logger } from '@nestjs/common';
import type { OAuthClientRegistry } from './clients/client-registry';
import type { OAuthClient } from './clients/oauth-client';

/** FAPI 2.0 Security Profile §5.4.1: the only signing algorithms allowed (no RS256). */
export const FAPI2_ALGORITHMS: readonly string[] = Object.freeze(['PS256', 'ES256', 'EdDSA']);

/** FAPI 2.0 §5.3.2.1: authorization codes live at most 60 seconds. */
export const FAPI2_MAX_CODE_TTL_SECONDS = 60;

/**
 * Why `client` cannot take part in a FAPI 2.0 deployment, or undefined when it can: confidential
 * only (§5.3.2.1), authenticated by `private_key_jwt` (§5.3.2.1 item 3, mTLS is not built), https
 * redirect URIs matched exactly (§5.3.2.2), no loopback port flexibility of native apps.
 */
export function fapi2ClientProblem(client: OAuthClient): string | undefined {
  if (client.type !== 'confidential') return 'FAPI 2.0 allows confidential clients only';
  if (client.authMethod !== 'private_key_jwt') return 'FAPI 2.0 clients authenticate with private_key_jwt (jwks)';
  if (client.applicationType === 'native') return 'FAPI 2.0 clients are web clients with exactly matched redirect URIs';
  if (client.redirectUris.some((uri) => !uri.startsWith('https://'))) return 'FAPI 2.0 redirect URIs must use https';
  return undefined;
}

/**
 * A registry that hands out only FAPI 2.0 clients: a client registered elsewhere (a shared Redis
 * registry) with a secret or as public is unknown here, so it can neither authorize nor get tokens.
 */
export class Fapi2ClientRegistry implements OAuthClientRegistry {
  private readonly logger = new Logger('OAuthServer');

  constructor(private readonly inner: OAuthClientRegistry) {}

  async find(id: string): Promise<OAuthClient | undefined> {
    const client = await this.inner.find(id);
    const problem = client && fapi2ClientProblem(client);
    if (problem) {
      this.logger.warn(`Client "${id}" refused in the FAPI 2.0 profile: ${problem}.`);
      return undefined;
    }
    return client;
  }
}
