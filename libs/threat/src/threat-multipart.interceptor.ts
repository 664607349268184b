import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { getRequestState, rawRequest, routeOf } from '@rampart/core';
import { from, mergeMap, type Observable } from 'rxjs';
import { routePolicy } from './threat-policy.decorator';
import { ThreatService } from './threat.service';
import { routeInspection } from './field-policy';

/** What multer leaves on the request: text fields in `body`, files in `file` or `files`. */
interface MulterRequest {
  body?: unknown;
  file?: UploadedFile;
  files?: UploadedFile[] | Record<string, UploadedFile[]>;
}
interface UploadedFile {
  fieldname: string;
  originalname: string;
}

/** The text fields, and each file's name under its field (`body.avatar.filename`). */
function multipartInput(req: MulterRequest): Record<string, unknown> {
  const input: Record<string, unknown> = { ...(typeof req.body === 'object' && req.body !== null ? req.body : {}) };
  const files = [
    ...(req.file ? [req.file] : []),
    ...(Array.isArray(req.files) ? req.files : Object.values(req.files ?? {}).flat()),
  ];
  for (const file of files) {
    if (!(file.fieldname in input)) input[file.fieldname] = { filename: file.originalname };
  }
  return input;
}

/**
 * Inspects the fields of a multipart request once Nest's file interceptors (multer) have parsed
 * it: the global guard runs before any interceptor, when a multipart body is still an unread
 * stream. Put it **after** the file interceptor; the route's {@link ThreatPolicy} and the module's
 * mode apply as in the guard. On Fastify, register `@fastify/multipart` with
 * `attachFieldsToBody: true` (or `'keyValues'`): the fields are then parsed before the guard, which
 * inspects them itself (a part's `value`, a file's `filename`).
 * @publicApi
 * @example
 * @Post('avatar')
 * @UseInterceptors(FileInterceptor('file'), ThreatMultipartInterceptor)
 * upload(@UploadedFile() file: Express.Multer.File, @Body() dto: AvatarDto) {}
 */
@Injectable()
export class ThreatMultipartInterceptor implements NestInterceptor {
  constructor(
    private readonly threat: ThreatService,
    private readonly reflector: Reflector,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const req = context.switchToHttp().getRequest<MulterRequest & object>();
    const policy = routePolicy(this.reflector, context);
    const mode = policy?.mode ?? this.threat.options.mode;
    if (mode === 'off') return next.handle();
    const result = this.threat.inspectFor({ body: multipartInput(req) }, routeInspection(context, policy));
    if (result.findings.length === 0) return next.handle();
    const state = getRequestState(req);
    const { clientIp, clientKey, id } = state.context;
    const verdict = this.threat.enforce(result, {
      clientIp,
      clientKey,
      headers: rawRequest(req).headers,
      requestId: id,
      route: (state.route ??= routeOf(req)),
      mode,
    });
    return verdict === true ? next.handle() : from(verdict).pipe(mergeMap(() => next.handle()));
  }
}
