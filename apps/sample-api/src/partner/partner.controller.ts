import { Controller, Get, Req } from '@nestjs/common';
import {
  Auth,
  CurrentApiKey,
  CurrentUser,
  Policies,
  Scopes,
  type AuthenticatedApiKey,
  type AuthenticatedUser,
} from '@rampart/auth';
import { ForbiddenError } from '@rampart/errors';
import { RateLimit } from '@rampart/rate-limit';
import { NotesService } from '../notes/notes.service';

/**
 * Routes for partner applications, which authenticate with an API key (`X-API-Key`), limited per
 * API key by the design notes' three tiers (`partner` policy).
 */
@RateLimit('partner')
@Controller('partner')
export class PartnerController {
  constructor(
    private readonly notes: NotesService,
    private readonly policies: Policies,
  ) {}

  /** The application alone: statistics of its tenant. */
  @Get('stats')
  @Auth('apiKey')
  @Scopes('partner:read')
  stats(@Req() req: object, @CurrentApiKey() key: AuthenticatedApiKey): { tenant: string | undefined; notes: number } {
    const stats = { tenantId: key.tenantId };
    if (!this.policies.can(req, 'read', 'NoteStats', stats)) throw new ForbiddenError();
    return { tenant: key.tenantId, notes: this.notes.list().filter((n) => n.tenantId === key.tenantId).length };
  }

  /** A user or an application: whichever credential is sent must be valid; one of the scopes suffices. */
  @Get('catalog')
  @Auth('either')
  @Scopes({ anyOf: ['partner:read', 'notes:read'] })
  catalog(
    @CurrentUser() user: AuthenticatedUser | undefined,
    @CurrentApiKey() key: AuthenticatedApiKey | undefined,
  ): { caller: string; products: string[] } {
    return { caller: user ? `user:${user.id}` : `application:${key?.name ?? ''}`, products: ['notes', 'stats'] };
  }

  /** Defence in depth: the application (API key) and the user (access token) both identified. */
  @Get('me')
  @Auth('both')
  @Scopes('profile')
  me(
    @CurrentUser() user: AuthenticatedUser,
    @CurrentApiKey() key: AuthenticatedApiKey,
  ): { user: string; application: string } {
    return { user: user.id, application: key.name };
  }
}
