import type { SecurityEvent } from '@rampart/core';

interface SpanLike {
  addEvent(name: string, attributes: Record<string, string | number | boolean>): void;
  spanContext(): { traceId: string; traceFlags: number };
  isRecording(): boolean;
}
interface TraceApi {
  getActiveSpan(): SpanLike | undefined;
}

/** `@opentelemetry/api`'s `trace`, when the package is installed (an optional peer). */
function loadTrace(): TraceApi | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- an optional peer, loaded once if present
    return (require('@opentelemetry/api') as { trace: TraceApi }).trace;
  } catch {
    return undefined;
  }
}

/**
 * Adds each event to the active span (`rampart.<type>` with its facts as attributes) and returns the
 * trace id, so log lines, the history and traces meet. Runs inside `emit`, in the request's context.
 */
export class OpenTelemetryBridge {
  private readonly trace = loadTrace();

  get available(): boolean {
    return this.trace !== undefined;
  }

  record(event: SecurityEvent): string | undefined {
    const span = this.trace?.getActiveSpan();
    if (!span) return undefined;
    const { traceId } = span.spanContext();
    if (span.isRecording()) {
      span.addEvent(`rampart.${event.type}`, {
        'rampart.severity': event.severity,
        'rampart.outcome': event.outcome,
        ...(event.reason === undefined ? {} : { 'rampart.reason': event.reason }),
        ...(event.subject === undefined ? {} : { 'enduser.id': event.subject }),
        ...(event.clientIp === undefined ? {} : { 'client.address': event.clientIp }),
        ...(event.route === undefined ? {} : { 'http.route': event.route }),
      });
    }
    // An all-zero id is the invalid span context of a no-op tracer: no trace to point to.
    return /^0+$/.test(traceId) ? undefined : traceId;
  }
}
