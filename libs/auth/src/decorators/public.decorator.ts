import { SetMetadata } from '@nestjs/common';
import { IS_PUBLIC_KEY } from '../auth.constants';

/**
 * Opts a route (or a whole controller) out of authentication. Every other route needs a valid
 * credential: the guard is global and secure by default.
 * @publicApi
 * @example
 * @Public() @Get('health') check() { ... }
 */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC_KEY, true);
