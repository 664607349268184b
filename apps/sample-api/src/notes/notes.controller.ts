import { Body, Controller, Get, Param, Post } from '@nestjs/common';
import { ValidationError } from '@rampart/errors';
import { NotesService, type Note } from './notes.service';

@Controller('notes')
export class NotesController {
  constructor(private readonly notes: NotesService) {}

  @Get()
  list(): Note[] {
    return this.notes.list();
  }

  @Get(':id')
  get(@Param('id') id: string): Note {
    return this.notes.get(id);
  }

  @Post()
  create(@Body() body: unknown): Note {
    const { title, body: text } = (body ?? {}) as { title?: unknown; body?: unknown };
    if (typeof title !== 'string' || title.length === 0 || title.length > 200) {
      throw new ValidationError([{ field: 'title', message: 'title must be a string of 1 to 200 characters' }]);
    }
    if (typeof text !== 'string' || text.length > 10_000) {
      throw new ValidationError([{ field: 'body', message: 'body must be a string of at most 10000 characters' }]);
    }
    return this.notes.create(title, text);
  }
}
