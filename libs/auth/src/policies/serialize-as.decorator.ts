import { applyDecorators, SetMetadata, UseInterceptors } from '@nestjs/common';
import { SERIALIZE_AS_KEY } from '../auth.constants';
import { FieldAccessInterceptor } from './field-access.interceptor';

/**
 * Sends only the fields of the response (an object or an array of them) the caller may `read`
 * on subject type `type`, per the module's `abilities`. Fields in `alwaysHiddenFields`
 * (default: `password`, `passwordHash`) are never sent. The decorator attaches the filtering
 * interceptor itself, so routes without it pay nothing, and a route that uses it in an
 * application without `AuthModule` fails at start-up instead of sending every field.
 * @publicApi
 * @example
 * @SerializeAs('User') @Get(':id') get(@Param('id') id: string) { return this.users.find(id); }
 */
export const SerializeAs = (type: string): MethodDecorator & ClassDecorator =>
  applyDecorators(SetMetadata(SERIALIZE_AS_KEY, type), UseInterceptors(FieldAccessInterceptor));
