import { Injectable } from '@nestjs/common';
import { NotFoundError } from '@rampart/errors';
import { randomUUID } from 'node:crypto';

export interface Note {
  id: string;
  title: string;
  body: string;
  createdAt: string;
}

/** Notes kept in memory: the sample's data layer, deliberately trivial. */
@Injectable()
export class NotesService {
  private readonly notes = new Map<string, Note>();

  list(): Note[] {
    return [...this.notes.values()];
  }

  get(id: string): Note {
    const note = this.notes.get(id);
    if (!note) throw new NotFoundError('No note with this id.');
    return note;
  }

  create(title: string, body: string): Note {
    const note = { id: randomUUID(), title, body, createdAt: new Date().toISOString() };
    this.notes.set(note.id, note);
    return note;
  }
}
