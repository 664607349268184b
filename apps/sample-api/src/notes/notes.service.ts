import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';

export interface Note {
  id: string;
  ownerId: string;
  tenantId: string | undefined;
  title: string;
  body: string;
  /** Sections after the body (heading and sanitised rich text); absent when none were sent. */
  blocks?: NoteBlock[];
  createdAt: string;
}

export interface NoteBlock {
  heading: string;
  html: string;
}

/** Notes kept in memory: the sample's data layer, deliberately trivial. */
@Injectable()
export class NotesService {
  private readonly notes = new Map<string, Note>();

  list(): Note[] {
    return [...this.notes.values()].map((n) => ({ ...n }));
  }

  /** Undefined when absent: whether to say 404 is the authorization layer's call. */
  find(id: string): Note | undefined {
    const note = this.notes.get(id);
    return note && { ...note };
  }

  create(
    owner: { id: string; tenantId: string | undefined },
    title: string,
    body: string,
    blocks?: readonly NoteBlock[],
  ): Note {
    const note: Note = {
      id: randomUUID(),
      ownerId: owner.id,
      tenantId: owner.tenantId,
      title,
      body,
      ...(blocks ? { blocks: blocks.map(({ heading, html }) => ({ heading, html })) } : {}),
      createdAt: new Date().toISOString(),
    };
    this.notes.set(note.id, note);
    return { ...note };
  }

  update(id: string, changes: Partial<Pick<Note, 'title' | 'body'>>): Note | undefined {
    const note = this.notes.get(id);
    if (!note) return undefined;
    Object.assign(note, changes);
    return { ...note };
  }

  delete(id: string): boolean {
    return this.notes.delete(id);
  }
}
