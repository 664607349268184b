import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { map, type Observable } from 'rxjs';
import { SERIALIZE_AS_KEY } from '../auth.constants';
import { Policies } from './policies.service';

/** Applies `@SerializeAs()`: each response object keeps only the fields the caller may read. */
@Injectable()
export class FieldAccessInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly policies: Policies,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const type = this.reflector.getAllAndOverride<string | undefined>(SERIALIZE_AS_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (type === undefined || context.getType() !== 'http') return next.handle();
    const req = context.switchToHttp().getRequest<object>();
    const filter = (item: unknown): unknown =>
      item !== null && typeof item === 'object' ? this.policies.readable(req, type, item) : item;
    return next.handle().pipe(map((body: unknown) => (Array.isArray(body) ? body.map(filter) : filter(body))));
  }
}
