import { SetMetadata } from '@nestjs/common';
import { SERIALIZE_AS_KEY } from '../auth.constants';

/**
 * Sends only the fields of the response (an object or an array of them) the caller may `read`
 * on subject type `type`, per the module's `abilities`. Fields in `alwaysHiddenFields`
 * (default: `password`, `passwordHash`) are never sent.
 * @publicApi
 * @example
 * @SerializeAs('User') @Get(':id') get(@Param('id') id: string) { return this.users.find(id); }
 */
export const SerializeAs = (type: string): MethodDecorator & ClassDecorator => SetMetadata(SERIALIZE_AS_KEY, type);
