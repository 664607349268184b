// The one signing key of the benchmarks: the load generator (parent process) signs with it, the
// servers (child processes) verify with its public half. Generated for benchmarking only; it
// protects nothing.
import { importJWK, SignJWT, type JWK } from 'jose';
import { randomUUID } from 'node:crypto';

const PRIVATE_KEY: JWK = {
  kty: 'EC',
  crv: 'P-256',
  x: 'qQftH7_BnAtVmKJpWorttIDZwKa2WmOW-OAxRzN7ddY',
  y: 'gU1w-JamG3Y67pHRN5xh2uciDQhTCuSJX7hrsHsbjQo',
  d: '82UGpPLiYqfEySYtWwCA99tp0Hn2vt3eR9l7-TaNF_s',
  kid: 'bench',
  alg: 'ES256',
};

/** What the servers verify tokens with: the public half only. */
export const BENCH_PUBLIC_KEY: JWK = {
  kty: PRIVATE_KEY.kty,
  crv: PRIVATE_KEY.crv,
  x: PRIVATE_KEY.x,
  y: PRIVATE_KEY.y,
  kid: PRIVATE_KEY.kid,
  alg: PRIVATE_KEY.alg,
};
export const BENCH_ISSUER = 'https://issuer.bench';
export const BENCH_AUDIENCE = 'bench-api';

let signingKey: ReturnType<typeof importJWK> | undefined;

/** An ES256 access token (scope `bench`) for `subject`, valid for an hour, with a fresh `jti`. */
export async function benchToken(subject = 'bench-user'): Promise<string> {
  signingKey ??= importJWK(PRIVATE_KEY, 'ES256');
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ scope: 'bench', client_id: 'bench' })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'bench' })
    .setIssuer(BENCH_ISSUER)
    .setAudience(BENCH_AUDIENCE)
    .setSubject(subject)
    .setJti(randomUUID())
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .sign(await signingKey);
}
