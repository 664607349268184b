import { DpopNonces, DpopProofError, DpopProofVerifier } from '@rampart/auth';
import type { Store } from '@rampart/core';
import type { OAuthClient } from '../clients/oauth-client';
import { OAuthError } from '../oauth.errors';
import type { ResolvedOAuthServerOptions } from '../oauth.options';

/**
 * DPoP at the token endpoint (RFC 9449 §5) and the PAR endpoint (§10.1): the proof of a request,
 * checked with auth's verifier (the same `jti` replay cache in the Store as the resource
 * server's), and the server nonces when they are required.
 */
export class TokenEndpointDpop {
  private readonly verifier: DpopProofVerifier;
  private readonly nonces: DpopNonces | undefined;

  constructor(
    private readonly options: ResolvedOAuthServerOptions,
    store: Store,
    /** The endpoints' URLs, as the metadata names them: what `htu` must be. */
    private readonly urls: { readonly token: string; readonly par: string },
  ) {
    this.verifier = new DpopProofVerifier(store, {
      algorithms: options.dpop.algorithms,
      maxAgeSeconds: options.dpop.proofMaxAgeSeconds,
      clockToleranceSeconds: 5,
    });
    this.nonces = options.dpop.requireNonce ? new DpopNonces(store) : undefined;
  }

  /** The `DPoP-Nonce` to send with every token endpoint answer, when nonces are required. */
  nonce(): Promise<string | undefined> {
    return this.nonces ? this.nonces.current() : Promise.resolve(undefined);
  }

  /**
   * The thumbprint of the proof's key, or undefined when the request has no proof and the client
   * may go without one.
   */
  async keyOf(proof: string | undefined, client: OAuthClient): Promise<string | undefined> {
    if (proof === undefined) {
      if (this.options.dpop.required || client.dpopBoundAccessTokens) {
        throw new OAuthError('invalid_dpop_proof', 'This client must send a DPoP proof.', 'dpop_proof_missing');
      }
      return undefined;
    }
    return this.verify(proof, this.urls.token);
  }

  /**
   * The thumbprint of a pushed authorization request's proof (RFC 9449 §10.1), which the code will
   * be bound to; undefined without a proof (the client may bind it with `dpop_jkt`, or not at all).
   */
  async pushedRequestKeyOf(proof: string | undefined): Promise<string | undefined> {
    return proof === undefined ? undefined : this.verify(proof, this.urls.par);
  }

  private async verify(proof: string, htu: string): Promise<string> {
    const nonces = this.nonces;
    try {
      const verified = await this.verifier.verify(proof, {
        htm: 'POST',
        htu,
        ...(nonces ? { nonce: (nonce: string) => nonces.isValid(nonce) } : {}),
      });
      return verified.jkt;
    } catch (error) {
      if (!(error instanceof DpopProofError)) throw error;
      if (error.useNonce) {
        throw new OAuthError(
          'use_dpop_nonce',
          'Sign the DPoP proof with the nonce of the DPoP-Nonce header.',
          error.reason,
        );
      }
      throw new OAuthError('invalid_dpop_proof', 'The DPoP proof is invalid.', error.reason);
    }
  }
}
