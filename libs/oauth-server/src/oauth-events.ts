import type { SecurityEvents, SecurityEventType, SecurityPrincipal, SecuritySeverity } from '@rampart/core';
import { clientSubject } from '@rampart/auth';
import type { OAuthError } from './oauth.errors';

/** The facts of a request the server needs besides its parameters. */
export interface OAuthRequestContext {
  readonly requestId?: string;
  readonly clientIp?: string;
  readonly route?: string;
  /** The request's `DPoP` header (RFC 9449 §4.1), for the token endpoint. */
  readonly dpop?: string;
}

/** What an OAuth event is about; the request's facts come from its {@link OAuthRequestContext}. */
export interface OAuthEvent {
  principal?: SecurityPrincipal;
  reason: string;
  details: Record<string, unknown>;
}

/** The security events of every endpoint, in one shape; nothing is emitted without `SecurityEvents`. */
export class OAuthEvents {
  constructor(private readonly events: SecurityEvents | undefined) {}

  /** A refused request: `reason` is `oauth_<OAuthError.reason>`; a failed client authentication weighs more. */
  emitFailure(endpoint: string, error: OAuthError, clientId?: string, context: OAuthRequestContext = {}): void {
    this.emit('auth.failure', error.error === 'invalid_client' ? 'medium' : 'low', context, {
      ...(clientId === undefined ? {} : { principal: { kind: 'client', id: clientId } }),
      reason: `oauth_${error.reason}`,
      details: { endpoint, error: error.error },
    });
  }

  emit(type: SecurityEventType, severity: SecuritySeverity, context: OAuthRequestContext, event: OAuthEvent): void {
    this.events?.emit({
      type,
      severity,
      ...(context.requestId === undefined ? {} : { requestId: context.requestId }),
      ...(context.clientIp === undefined ? {} : { clientIp: context.clientIp }),
      ...(context.route === undefined ? {} : { route: context.route }),
      ...(event.principal === undefined ? {} : { principal: event.principal }),
      reason: event.reason,
      details: event.details,
    });
  }
}

/** The principal of a token: the user, through the client it was issued to, or the client itself. */
export function userPrincipal(subject: string, clientId: string): SecurityPrincipal {
  return subject === clientSubject(clientId)
    ? { kind: 'client', id: clientId }
    : { kind: 'user', id: subject, clientId };
}
