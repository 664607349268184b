import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { catchError, from, mergeMap, throwError, type Observable } from 'rxjs';
import { replayStoreKeyOf } from './webhook-context';
import { WebhookVerifier } from './webhook-verifier';

/**
 * When the handler of a verified webhook fails, forgets the message id: the sender retries with
 * the same id, and that retry is a delivery, not a replay. Applied by `@WebhookEndpoint()`.
 */
@Injectable()
export class WebhookReleaseInterceptor implements NestInterceptor {
  constructor(private readonly verifier: WebhookVerifier) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = context.switchToHttp().getRequest<object>();
    return next.handle().pipe(
      catchError((error: unknown) => {
        const key = replayStoreKeyOf(req);
        if (key === undefined) return throwError(() => error);
        return from(this.verifier.release(key)).pipe(mergeMap(() => throwError(() => error)));
      }),
    );
  }
}
