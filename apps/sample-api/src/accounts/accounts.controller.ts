import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import { Auth, Public, Roles } from '@rampart/auth';
import { RequestLimits } from '@rampart/validation';
import { CreateAccountDto, ListAccountsQuery, UpdateProfileDto } from './accounts.dto';
import { createAccountSchema, type CreateAccountInput } from './accounts.schemas';
import { AccountsService, type Account, type Page } from './accounts.service';

/**
 * The validation showcase: sign-up with a class-validator DTO and with a zod schema (public),
 * a paginated listing (any signed-in user) and a sanitised profile update (admins, as
 * moderators). Every body is bounded by the global request limits; sign-up and profile bodies
 * are small, so their routes tighten them.
 */
@Controller('accounts')
export class AccountsController {
  constructor(private readonly accounts: AccountsService) {}

  @Post()
  @Public()
  @RequestLimits({ maxBodyBytes: 4 * 1024, maxDepth: 3 })
  create(@Body() body: CreateAccountDto): Promise<Account> {
    return this.accounts.create(body);
  }

  @Post('via-schema')
  @Public()
  @RequestLimits({ maxBodyBytes: 4 * 1024, maxDepth: 3 })
  createViaSchema(@Body({ schema: createAccountSchema }) body: CreateAccountInput): Promise<Account> {
    return this.accounts.create(body);
  }

  @Get()
  @Auth('jwt')
  list(@Query() query: ListAccountsQuery): Page<Account> {
    return this.accounts.list(query);
  }

  @Get(':id')
  @Auth('jwt')
  get(@Param('id', new ParseUUIDPipe()) id: string): Account {
    return this.accounts.get(id);
  }

  @Patch(':id/profile')
  @Roles('admin')
  @HttpCode(200)
  @RequestLimits({ maxBodyBytes: 4 * 1024, maxDepth: 2 })
  updateProfile(@Param('id', new ParseUUIDPipe()) id: string, @Body() body: UpdateProfileDto): Account {
    return this.accounts.updateProfile(id, body);
  }
}
