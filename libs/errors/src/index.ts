export { ErrorsModule } from './errors.module';
export type { ErrorsModuleOptions } from './errors.options';
export { SafeExceptionFilter } from './safe-exception.filter';
export { toProblem, problemTitle } from './problem';
export type { Problem, ProblemDocument } from './problem';
export { sendProblemOnSocket } from './problem-response';
export { useErrorRenderer } from './error-renderers';
export type { ErrorRenderer, RenderedError } from './error-renderers';
export type { Refusal } from './problem-response';
export {
  SecurityError,
  ValidationError,
  BadRequestError,
  UnauthorizedError,
  ForbiddenError,
  NotFoundError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
  RateLimitedError,
  ThreatDetectedError,
  ServiceUnavailableError,
} from './security-error';
export type { SecurityErrorCode, SecurityErrorOptions, FieldError } from './security-error';
