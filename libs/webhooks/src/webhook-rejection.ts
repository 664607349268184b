import { SecurityError, type SecurityErrorCode } from '@rampart/errors';
import type { WebhookRejectionReason } from './verify/webhook-strategy';

const STATUS: Readonly<Record<WebhookRejectionReason, [SecurityErrorCode, number]>> = {
  missing_header: ['BAD_REQUEST', 400],
  malformed_header: ['BAD_REQUEST', 400],
  timestamp_out_of_tolerance: ['UNAUTHORIZED', 401],
  signature_mismatch: ['UNAUTHORIZED', 401],
  // Already delivered: a sender that retries a message it thinks was lost learns it arrived.
  replayed: ['CONFLICT', 409],
  body_too_large: ['PAYLOAD_TOO_LARGE', 413],
};

/**
 * The problem a refused webhook is answered with. The filter emits it as a `webhook.rejected`
 * security event (not `auth.failure`: no user signed in), with the endpoint and the scheme.
 */
export function webhookRejection(
  reason: WebhookRejectionReason,
  message: string,
  endpoint: string,
  scheme: string,
): SecurityError {
  const [code, status] = STATUS[reason];
  return new SecurityError(code, status, message, {
    reason: `webhook_${reason}`,
    event: { type: 'webhook.rejected', severity: reason === 'signature_mismatch' ? 'high' : 'medium' },
    eventDetails: { endpoint, scheme },
  });
}
