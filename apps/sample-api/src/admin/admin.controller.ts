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
import { BadRequestError, NotFoundError } from '@rampart/errors';
import { MemoryClientRegistry } from '@rampart/oauth-server';
import { ThreatService, type BanEntry } from '@rampart/threat';
import { UpdateUserDto } from '../users/users.dto';
import { UsersService, type User } from '../users/users.service';
import { CreateApiKeyDto, RotateApiKeyDto } from './admin.dto';

/** The fields of a DTO the client sent (a DTO instance declares all of them). */
function definedFields<T extends object>(dto: T): Partial<T> {
  return Object.fromEntries(Object.entries(dto).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/** The admin area (OWASP API5): every route needs the `admin` role; a user gets 403. */
@Controller('admin')
@Roles('admin')
export class AdminController {
  constructor(
    private readonly users: UsersService,
    private readonly apiKeys: ApiKeyService,
    private readonly policies: Policies,
    private readonly threat: ThreatService,
    private readonly oauthClients: MemoryClientRegistry,
  ) {}

  /** Takes an OAuth client out of service (a leaked secret or key): its tokens stop working at once. */
  @Post('oauth-clients/:id/disable')
  @HttpCode(204)
  disableOAuthClient(@Param('id') id: string): void {
    if (!this.oauthClients.disable(id)) throw new NotFoundError('No such OAuth client.');
  }

  @Post('oauth-clients/:id/enable')
  @HttpCode(204)
  enableOAuthClient(@Param('id') id: string): void {
    if (!this.oauthClients.enable(id)) throw new NotFoundError('This OAuth client is not disabled.');
  }

  /** The threat bans and blocks in force on every instance, those ending first first. */
  @Get('bans')
  listBans(): Promise<BanEntry[]> {
    return this.threat.listBans(100);
  }

  /** Lifts a threat ban or block on every instance (a false positive, a customer's office NAT). */
  @Delete('bans/:ip')
  @HttpCode(204)
  async unban(@Param('ip') ip: string): Promise<void> {
    if (this.threat.clientKeyOf(ip) === undefined) throw new BadRequestError('Give an IP address.');
    if (!(await this.threat.unban(ip))) throw new NotFoundError('This client is not banned.');
  }

  @Get('users')
  @SerializeAs('User')
  listUsers(@Req() req: object): User[] {
    return this.users.list().filter((user) => this.policies.can(req, 'read', 'User', user));
  }

  @Patch('users/:id')
  @SerializeAs('User')
  updateUser(@Req() req: object, @Param('id') id: string, @Body() input: UpdateUserDto): User | undefined {
    const target = this.users.find(id);
    this.policies.authorize(req, 'update', 'User', target);
    this.policies.assertWritable(req, 'update', 'User', target, input);
    return this.users.update(target.id, definedFields(input));
  }

  @Get('api-keys')
  listKeys(@CurrentUser() admin: AuthenticatedUser): Promise<ApiKeyView[]> {
    return this.apiKeys.list().then((keys) => keys.filter((k) => k.tenantId === admin.tenantId));
  }

  /** The response holds the key: the only time it is ever shown. */
  @Post('api-keys')
  createKey(@CurrentUser() admin: AuthenticatedUser, @Body() input: CreateApiKeyDto): Promise<IssuedApiKey> {
    return this.apiKeys.create(
      {
        name: input.name,
        scopes: input.scopes,
        ownerId: admin.id,
        ...(admin.tenantId === undefined ? {} : { tenantId: admin.tenantId }),
        ...(input.expiresInSeconds === undefined ? {} : { expiresAt: Date.now() + input.expiresInSeconds * 1000 }),
      },
      admin.id,
    );
  }

  @Post('api-keys/:id/rotate')
  async rotateKey(
    @CurrentUser() admin: AuthenticatedUser,
    @Param('id') id: string,
    @Body() input: RotateApiKeyDto,
  ): Promise<IssuedApiKey> {
    await this.ownKey(admin, id);
    const overlap = input.overlapSeconds === undefined ? {} : { overlapMs: input.overlapSeconds * 1000 };
    return this.apiKeys.rotate(id, overlap, admin.id);
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
