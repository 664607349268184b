import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Query, Req } from '@nestjs/common';
import { Auth, CurrentUser, Policies, Public, Roles, type AuthenticatedUser } from '@rampart/auth';
import { RequestLimits } from '@rampart/validation';
import { CreateAccountDto, ListAccountsQuery, UpdateProfileDto } from './accounts.dto';
import { createAccountSchema, type CreateAccountInput } from './accounts.schemas';
import { AccountsService, type Page } from './accounts.service';

/** What sign-up answers, free or taken address alike. */
export interface SignUpAccepted {
  message: string;
}

const ACCEPTED: SignUpAccepted = { message: 'Check your e-mail to finish signing up.' };

/**
 * The validation showcase, tenant-scoped: sign-up with a class-validator DTO and with a zod schema
 * (public; 202 "check your e-mail" whether or not the address is taken, so sign-up cannot be used
 * to find out who has an account), a paginated listing of the caller's tenant only, and a
 * sanitised profile update by an admin of the account's tenant. Which fields a caller sees is the
 * field-level policy's call (abilities.ts): admins see e-mails, users a public profile. Another
 * tenant's account is a 404, like a missing one. Every body is bounded by the global request
 * limits; sign-up and profile bodies are small, so their routes tighten them.
 */
@Controller('accounts')
export class AccountsController {
  constructor(
    private readonly accounts: AccountsService,
    private readonly policies: Policies,
  ) {}

  @Post()
  @Public()
  @HttpCode(202)
  @RequestLimits({ maxBodyBytes: 4 * 1024, maxDepth: 3 })
  async create(@Body() body: CreateAccountDto): Promise<SignUpAccepted> {
    await this.accounts.create(body);
    return ACCEPTED;
  }

  @Post('via-schema')
  @Public()
  @HttpCode(202)
  @RequestLimits({ maxBodyBytes: 4 * 1024, maxDepth: 3 })
  async createViaSchema(@Body({ schema: createAccountSchema }) body: CreateAccountInput): Promise<SignUpAccepted> {
    await this.accounts.create(body);
    return ACCEPTED;
  }

  @Get()
  @Auth('jwt')
  list(@Req() req: object, @CurrentUser() user: AuthenticatedUser, @Query() query: ListAccountsQuery): Page<object> {
    const page = this.accounts.list(user.tenantId, query);
    return { ...page, items: page.items.map((account) => this.policies.readable(req, 'Account', account)) };
  }

  @Get(':id')
  @Auth('jwt')
  get(@Req() req: object, @Param('id', new ParseUUIDPipe()) id: string): object {
    const account = this.accounts.find(id);
    this.policies.authorize(req, 'read', 'Account', account);
    return this.policies.readable(req, 'Account', account);
  }

  @Patch(':id/profile')
  @Roles('admin')
  @HttpCode(200)
  @RequestLimits({ maxBodyBytes: 4 * 1024, maxDepth: 2 })
  updateProfile(
    @Req() req: object,
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() body: UpdateProfileDto,
  ): object {
    const account = this.accounts.find(id);
    this.policies.authorize(req, 'update', 'Account', account);
    return this.policies.readable(req, 'Account', this.accounts.updateProfile(account.id, body));
  }
}
