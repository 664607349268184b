import type { INestApplication } from '@nestjs/common';
import { ACCESS_TOKEN_TYP, ApiKeyService, type AccessTokenClaims, type CreateApiKeyInput } from '@rampart/auth';
import {
  exportJWK,
  generateKeyPair,
  SignJWT,
  type CryptoKey,
  type JWK,
  type JWTHeaderParameters,
  type JWTPayload,
} from 'jose';
import { randomUUID } from 'node:crypto';

/** Options of {@link createTestTokens}. @publicApi */
export interface TestTokensOptions {
  /** The `iss` the app accepts. @default 'https://issuer.rampart.test' */
  issuer?: string;
  /** The `aud` the app accepts. @default 'https://api.rampart.test' */
  audience?: string;
  /** Scopes a token carries when a call names none. @default '' (no scope) */
  defaultScope?: string;
  /** Lifetime of a minted token. @default 600 */
  expiresInSeconds?: number;
  /**
   * An ES256 key the app already trusts (e.g. a development issuer's), instead of a key generated
   * here. `kid` must be the one the app knows the key under; without `publicJwk` the private key
   * must be extractable.
   */
  key?: { privateKey: CryptoKey; kid: string; publicJwk?: JWK };
}

/** What a minted token says about its caller. @publicApi */
export interface TestTokenClaims {
  /** Space-delimited scopes. @default the kit's `defaultScope` */
  scope?: string;
  roles?: string[];
  tenantId?: string;
  /** `client_id`. @default 'rampart-test-client' */
  clientId?: string;
  /** Lifetime. @default the kit's `expiresInSeconds` */
  expiresInSeconds?: number;
  /** Any other claim, or an override of one of the above (`iss`, `aud`, `exp`…). */
  claims?: JWTPayload;
}

/** Mints access tokens an app configured with {@link TestTokens.jwtOptions} trusts. @publicApi */
export interface TestTokens {
  readonly issuer: string;
  readonly audience: string;
  readonly kid: string;
  /** The public key, as the app's `auth.jwt.keys` takes it. */
  readonly publicJwk: JWK;
  /** `{ issuer, audience, keys }` for `AuthModule`'s `jwt` option (or RampartModule's `auth.jwt`). */
  jwtOptions(): { issuer: string; audience: string; keys: JWK[] };
  /** The claims of a valid user token, to be altered one at a time by attack tests. */
  claimsFor(sub: string, claims?: TestTokenClaims): AccessTokenClaims;
  /** A valid RFC 9068 access token for user `sub`. */
  user(sub: string, claims?: TestTokenClaims): Promise<string>;
  /** A valid client-credentials token: `sub` and `client_id` are the client. */
  client(clientId: string, claims?: TestTokenClaims): Promise<string>;
  /** `{ Authorization: 'Bearer …' }` for a user, for supertest's `.set()` or fetch's `headers`. */
  bearer(sub: string, claims?: TestTokenClaims): Promise<Record<string, string>>;
  /** Signed by the trusted key, expired a minute ago. */
  expired(sub?: string, claims?: TestTokenClaims): Promise<string>;
  /** Signed by the trusted key, for another API. */
  wrongAudience(sub?: string, claims?: TestTokenClaims): Promise<string>;
  /** Signed by the trusted key, from another issuer. */
  wrongIssuer(sub?: string, claims?: TestTokenClaims): Promise<string>;
  /** A valid-looking token signed by a key the app does not know, under the trusted `kid`. */
  foreignKey(sub?: string, claims?: TestTokenClaims): Promise<string>;
  /** An unsecured JWT (`alg: none`) with valid claims. */
  algNone(sub?: string, claims?: TestTokenClaims): string;
  /** Signs any claims and header with the trusted key (or `key`): for tokens that must be refused. */
  sign(claims: JWTPayload, header?: Partial<JWTHeaderParameters>, key?: CryptoKey | Uint8Array): Promise<string>;
  /** Creates an API key in the app's own `ApiKeyService` (the app must enable API keys). */
  apiKey(app: INestApplication, input?: Partial<CreateApiKeyInput>): Promise<string>;
}

const base64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * Mints tokens the app under test trusts. With no `key`, an ES256 key pair is generated for the
 * test run; give the app `tokens.jwtOptions()` (or use `testingAuthOptions`) so it verifies them.
 * @publicApi
 * @example
 * const tokens = await createTestTokens();
 * // AuthModule.forRoot({ jwt: tokens.jwtOptions() })
 * await request(server).get('/notes').set(await tokens.bearer('alice', { scope: 'notes:read' }));
 */
export async function createTestTokens(options: TestTokensOptions = {}): Promise<TestTokens> {
  const issuer = options.issuer ?? 'https://issuer.rampart.test';
  const audience = options.audience ?? 'https://api.rampart.test';
  const defaultScope = options.defaultScope ?? '';
  const lifetime = options.expiresInSeconds ?? 600;
  const kid = options.key?.kid ?? `rampart-test-${randomUUID()}`;
  const privateKey = options.key?.privateKey ?? (await generateKeyPair('ES256', { extractable: true })).privateKey;
  // The public half of a private JWK is the same key without `d`.
  const publicJwk: JWK = {
    ...(options.key?.publicJwk ?? (await exportJWK(privateKey))),
    kid,
    alg: 'ES256',
    use: 'sig',
  };
  delete publicJwk.d;
  // Generated once, on first use: a key the app does not trust, for forged tokens.
  let foreign: Promise<CryptoKey> | undefined;

  const claimsFor = (sub: string, c: TestTokenClaims = {}): AccessTokenClaims => {
    const now = Math.floor(Date.now() / 1000);
    return {
      iss: issuer,
      aud: audience,
      sub,
      client_id: c.clientId ?? 'rampart-test-client',
      scope: c.scope ?? defaultScope,
      jti: randomUUID(),
      iat: now,
      exp: now + (c.expiresInSeconds ?? lifetime),
      ...(c.roles ? { roles: c.roles } : {}),
      ...(c.tenantId ? { tenant_id: c.tenantId } : {}),
      ...c.claims,
    };
  };
  const sign = (
    claims: JWTPayload,
    header: Partial<JWTHeaderParameters> = {},
    key: CryptoKey | Uint8Array = privateKey,
  ): Promise<string> =>
    new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: ACCESS_TOKEN_TYP, kid, ...header }).sign(key);
  const user = (sub: string, c?: TestTokenClaims): Promise<string> => sign(claimsFor(sub, c));
  const now = (): number => Math.floor(Date.now() / 1000);

  return Object.freeze({
    issuer,
    audience,
    kid,
    publicJwk,
    jwtOptions: () => ({ issuer, audience, keys: [publicJwk] }),
    claimsFor,
    user,
    client: (clientId: string, c: TestTokenClaims = {}) => user(clientId, { ...c, clientId }),
    bearer: async (sub: string, c?: TestTokenClaims) => ({ Authorization: `Bearer ${await user(sub, c)}` }),
    expired: (sub = 'rampart-test-user', c: TestTokenClaims = {}) =>
      sign({ ...claimsFor(sub, c), iat: now() - 900, exp: now() - 60 }),
    wrongAudience: (sub = 'rampart-test-user', c: TestTokenClaims = {}) =>
      sign({ ...claimsFor(sub, c), aud: 'https://another-api.rampart.test' }),
    wrongIssuer: (sub = 'rampart-test-user', c: TestTokenClaims = {}) =>
      sign({ ...claimsFor(sub, c), iss: 'https://another-issuer.rampart.test' }),
    foreignKey: async (sub = 'rampart-test-user', c: TestTokenClaims = {}) => {
      foreign ??= generateKeyPair('ES256').then((pair) => pair.privateKey);
      return sign(claimsFor(sub, c), {}, await foreign);
    },
    algNone: (sub = 'rampart-test-user', c: TestTokenClaims = {}) =>
      `${base64url({ alg: 'none', typ: ACCESS_TOKEN_TYP })}.${base64url(claimsFor(sub, c))}.`,
    sign,
    apiKey: async (app: INestApplication, input: Partial<CreateApiKeyInput> = {}) => {
      const service = app.get(ApiKeyService, { strict: false });
      const issued = await service.create({ name: 'rampart-test', scopes: [], ...input });
      return issued.key;
    },
  });
}
