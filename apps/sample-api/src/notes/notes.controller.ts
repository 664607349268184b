import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Req } from '@nestjs/common';
import { CurrentUser, Policies, Scopes, type AuthenticatedUser } from '@rampart/auth';
import { RateLimit } from '@rampart/rate-limit';
import { CreateNoteDto, UpdateNoteDto } from './notes.dto';
import { NotesService, type Note } from './notes.service';

/**
 * Notes belong to their author. Another user's note answers 404, exactly as a missing one does
 * (OWASP API1): a 403 would confirm that the id exists. Admins may read and delete their tenant's notes.
 */
@Controller('notes')
export class NotesController {
  constructor(
    private readonly notes: NotesService,
    private readonly policies: Policies,
  ) {}

  @Get()
  @Scopes('notes:read')
  list(@Req() req: object): Note[] {
    return this.notes.list().filter((note) => this.policies.can(req, 'read', 'Note', note));
  }

  @Get(':id')
  @Scopes('notes:read')
  get(@Req() req: object, @Param('id') id: string): Note {
    const note = this.notes.find(id);
    this.policies.authorize(req, 'read', 'Note', note);
    return note;
  }

  @Post()
  @Scopes('notes:write')
  @RateLimit('writes')
  create(@Req() req: object, @CurrentUser() user: AuthenticatedUser, @Body() input: CreateNoteDto): Note {
    this.policies.assertWritable(req, 'create', 'Note', undefined, input);
    return this.notes.create(user, input.title, input.body, input.blocks);
  }

  @Patch(':id')
  @Scopes('notes:write')
  @RateLimit('writes')
  update(@Req() req: object, @Param('id') id: string, @Body() input: UpdateNoteDto): Note | undefined {
    const note = this.notes.find(id);
    this.policies.authorize(req, 'update', 'Note', note);
    this.policies.assertWritable(req, 'update', 'Note', note, input);
    return this.notes.update(note.id, {
      ...(input.title !== undefined ? { title: input.title } : {}),
      ...(input.body !== undefined ? { body: input.body } : {}),
    });
  }

  @Delete(':id')
  @Scopes('notes:write')
  @RateLimit('writes')
  @HttpCode(204)
  remove(@Req() req: object, @Param('id') id: string): void {
    const note = this.notes.find(id);
    this.policies.authorize(req, 'delete', 'Note', note);
    this.notes.delete(note.id);
  }
}
