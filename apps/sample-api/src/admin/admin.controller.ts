import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Req } from '@nestjs/common';
import {
  ApiKeyService,
  CurrentUser,
  Policies,
  Roles,
  SerializeAs,
  type ApiKeyView,
  type AuthenticatedUser,
  type IssuedApiKey,
} from '@rampart/auth';
import { NotFoundError, ValidationError } from '@rampart/errors';
import { UsersService, type User } from '../users/users.service';

const ROLES: readonly string[] = ['user', 'admin'];
const STATUSES: readonly string[] = ['active', 'suspended', 'locked', 'deleted'];

/** The admin area (OWASP API5): every route needs the `admin` role; a user gets 403. */
@Controller('admin')
@Roles('admin')
export class AdminController {
  constructor(
    private readonly users: UsersService,
    private readonly apiKeys: ApiKeyService,
    private readonly policies: Policies,
  ) {}

  @Get('users')
  @SerializeAs('User')
  listUsers(@Req() req: object): User[] {
    return this.users.list().filter((user) => this.policies.can(req, 'read', 'User', user));
  }

  @Patch('users/:id')
  @SerializeAs('User')
  updateUser(@Req() req: object, @Param('id') id: string, @Body() body: unknown): User | undefined {
    const target = this.users.find(id);
    this.policies.authorize(req, 'update', 'User', target);
    const input = (body ?? {}) as Record<string, unknown>;
    this.policies.assertWritable(req, 'update', 'User', target, input);
    if (input.role !== undefined && !ROLES.includes(input.role as string)) {
      throw new ValidationError([{ field: 'role', message: `role must be one of ${ROLES.join(', ')}` }]);
    }
    if (input.status !== undefined && !STATUSES.includes(input.status as string)) {
      throw new ValidationError([{ field: 'status', message: `status must be one of ${STATUSES.join(', ')}` }]);
    }
    if (input.name !== undefined && typeof input.name !== 'string') {
      throw new ValidationError([{ field: 'name', message: 'name must be a string' }]);
    }
    return this.users.update(target.id, input);
  }

  @Get('api-keys')
  listKeys(@CurrentUser() admin: AuthenticatedUser): Promise<ApiKeyView[]> {
    return this.apiKeys.list().then((keys) => keys.filter((k) => k.tenantId === admin.tenantId));
  }

  /** The response holds the key: the only time it is ever shown. */
  @Post('api-keys')
  createKey(@CurrentUser() admin: AuthenticatedUser, @Body() body: unknown): Promise<IssuedApiKey> {
    const { name, scopes, expiresInSeconds } = (body ?? {}) as Record<string, unknown>;
    if (expiresInSeconds !== undefined && (typeof expiresInSeconds !== 'number' || expiresInSeconds <= 0)) {
      throw new ValidationError([{ field: 'expiresInSeconds', message: 'expiresInSeconds must be a positive number' }]);
    }
    return this.apiKeys.create(
      {
        name: name as string,
        scopes: scopes as string[],
        ownerId: admin.id,
        ...(admin.tenantId === undefined ? {} : { tenantId: admin.tenantId }),
        ...(expiresInSeconds === undefined ? {} : { expiresAt: Date.now() + expiresInSeconds * 1000 }),
      },
      admin.id,
    );
  }

  @Post('api-keys/:id/rotate')
  async rotateKey(
    @CurrentUser() admin: AuthenticatedUser,
    @Param('id') id: string,
    @Body() body: unknown,
  ): Promise<IssuedApiKey> {
    await this.ownKey(admin, id);
    const { overlapSeconds } = (body ?? {}) as Record<string, unknown>;
    if (overlapSeconds !== undefined && (typeof overlapSeconds !== 'number' || !Number.isInteger(overlapSeconds))) {
      throw new ValidationError([{ field: 'overlapSeconds', message: 'overlapSeconds must be a whole number' }]);
    }
    return this.apiKeys.rotate(id, overlapSeconds === undefined ? {} : { overlapMs: overlapSeconds * 1000 }, admin.id);
  }

  @Delete('api-keys/:id')
  @HttpCode(204)
  async revokeKey(@CurrentUser() admin: AuthenticatedUser, @Param('id') id: string): Promise<void> {
    await this.ownKey(admin, id);
    await this.apiKeys.revoke(id, admin.id);
  }

  /** Keys of another tenant are answered as missing. */
  private async ownKey(admin: AuthenticatedUser, id: string): Promise<void> {
    const key = await this.apiKeys.get(id);
    if (key?.tenantId !== admin.tenantId) throw new NotFoundError('No API key with this id.');
  }
}
