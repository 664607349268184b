import { SetMetadata } from '@nestjs/common';
import { ROLES_KEY } from '../auth.constants';

/**
 * Roles allowed to call a route: the user needs at least one of them, counting the roles that
 * the module's `roleHierarchy` includes (with `{ admin: ['user'] }`, an admin passes `@Roles('user')`).
 * On a controller and a handler, both apply. Refused: 403.
 * @publicApi
 * @example
 * @Roles('admin') @Controller('admin') export class AdminController { ... }
 */
export const Roles = (...roles: string[]): MethodDecorator & ClassDecorator => SetMetadata(ROLES_KEY, roles);
