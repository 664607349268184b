import { createHash, X509Certificate } from 'node:crypto';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { buildConnector } from 'undici';
import type { AddressPolicy } from './address-policy';
import { OutboundCertificatePinError } from './outbound.errors';
import type { ResolvedHostRule, ResolvedOutboundClientOptions } from './outbound.options';

/**
 * HPKP-style pin: base64 SHA-256 of the DER SubjectPublicKeyInfo (RFC 7469 §2.4). Read from the
 * certificate itself: `PeerCertificate.pubkey` is SPKI for RSA but a bare point for EC keys.
 */
export function spkiPin(certificate: PeerCertificate): string {
  const spki = new X509Certificate(certificate.raw).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}

/**
 * An undici connector that resolves the host itself, checks every address, and opens the
 * socket to the address it checked; TLS still verifies the certificate against the host NAME
 * (SNI and `checkServerIdentity` use the original host), then the host's pins.
 */
export function pinnedConnector(
  options: ResolvedOutboundClientOptions,
  policy: AddressPolicy,
  ruleFor: (host: string) => ResolvedHostRule | undefined,
): buildConnector.connector {
  const connect = buildConnector({
    timeout: options.connectTimeoutMs,
    ...(options.ca === undefined ? {} : { ca: [...options.ca] }),
    checkServerIdentity: (host: string, certificate: PeerCertificate) => {
      const mismatch = checkServerIdentity(host, certificate);
      if (mismatch) return mismatch;
      const pins = ruleFor(host)?.pins;
      // Pinning defends against a mis-issued or stolen certificate that a public CA vouches for.
      return pins === undefined || pins.has(spkiPin(certificate)) ? undefined : new OutboundCertificatePinError(host);
    },
  });
  return (target, callback) => {
    policy.resolve(target.hostname).then(
      (address) => connect({ ...target, hostname: address }, callback),
      (error: unknown) => callback(error as Error, null),
    );
  };
}
