import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { AuthenticatedRequest } from '../principal';

/**
 * The authenticated user (`request.user`), or undefined on a route that does not require one.
 * @publicApi
 * @example
 * @Get('me') me(@CurrentUser() user: AuthenticatedUser) { ... }
 */
export const CurrentUser = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext) => ctx.switchToHttp().getRequest<AuthenticatedRequest>().user,
);

/**
 * The authenticated API key (`request.apiKey`), or undefined on a route that does not require one.
 * @publicApi
 * @example
 * @Auth('apiKey') @Get('stats') stats(@CurrentApiKey() key: AuthenticatedApiKey) { ... }
 */
export const CurrentApiKey = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext) => ctx.switchToHttp().getRequest<AuthenticatedRequest>().apiKey,
);
