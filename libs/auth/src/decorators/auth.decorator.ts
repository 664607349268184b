import { SetMetadata } from '@nestjs/common';
import { AUTH_MODE_KEY } from '../auth.constants';
import type { AuthMode } from '../auth.options';

/**
 * Which credentials a route requires: a user's access token (`jwt`), a partner application's
 * API key (`apiKey`), whichever is sent (`either`; any credential sent must be valid), or both at
 * once (`both`: the application and the user are identified). Without it: the module's `defaultMode`.
 * @publicApi
 * @example
 * @Auth('both') @Post('partner/orders') create() { ... }
 */
export const Auth = (mode: AuthMode): MethodDecorator & ClassDecorator => SetMetadata(AUTH_MODE_KEY, mode);
