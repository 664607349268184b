import { Body, Controller, Get, Param, Patch, Req } from '@nestjs/common';
import { CurrentUser, Policies, Scopes, SerializeAs, type AuthenticatedUser } from '@rampart/auth';
import { NotFoundError } from '@rampart/errors';
import { UpdateUserDto } from './users.dto';
import { UsersService, type User } from './users.service';

/**
 * Profiles. Responses pass through `@SerializeAs('User')`: a user sees their own email, only the
 * names of others; nobody ever sees a password hash. Only `name` is writable by its owner.
 */
@Controller('users')
@Scopes('profile')
@SerializeAs('User')
export class UsersController {
  constructor(
    private readonly users: UsersService,
    private readonly policies: Policies,
  ) {}

  @Get('me')
  me(@CurrentUser() user: AuthenticatedUser): User {
    const me = this.users.find(user.id);
    if (!me) throw new NotFoundError('No user with this id.');
    return me;
  }

  @Patch('me')
  updateMe(@Req() req: object, @CurrentUser() user: AuthenticatedUser, @Body() input: UpdateUserDto): User | undefined {
    const me = this.users.find(user.id);
    this.policies.authorize(req, 'update', 'User', me);
    // Mass assignment (`role`, `status`) is refused by the field-level policy: 403.
    this.policies.assertWritable(req, 'update', 'User', me, input);
    return this.users.update(me.id, input.name === undefined ? {} : { name: input.name });
  }

  @Get(':id')
  get(@Req() req: object, @Param('id') id: string): User {
    const user = this.users.find(id);
    this.policies.authorize(req, 'read', 'User', user);
    return user;
  }
}
