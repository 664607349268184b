import { before } from '@nestjs/swagger/plugin';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';

// What @nestjs/swagger's CLI plugin (`"plugins": [{ "name": "@nestjs/swagger", "options": {
// "classValidatorShim": true } }]` in nest-cli.json) makes of a DTO using class-validator's and
// Rampart's decorators. The README's "Constraints come from class-validator's registry" rests on it.
const DTO = `
import { IsString, MaxLength } from 'class-validator';
import { PlainText } from '@rampart/validation';

export class NoteDto {
  @IsString()
  @MaxLength(200)
  plain!: string;

  @PlainText({ maxLength: 200, minLength: 1 })
  composed!: string;

  @PlainText({ maxLength: 300 })
  @MaxLength(300)
  both?: string;
}
`;

/** Compiles `source` as the Nest CLI does with the plugin, and returns the metadata its factory holds. */
function pluginMetadata(source: string): Record<string, Record<string, unknown>> {
  const fileName = join(folder, 'note.dto.ts');
  writeFileSync(fileName, source);
  const program = ts.createProgram([fileName], {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    experimentalDecorators: true,
    emitDecoratorMetadata: true,
    noResolve: true,
  });
  let js = '';
  program.emit(
    program.getSourceFile(fileName),
    (name, text) => {
      if (name.endsWith('.js')) js = text;
    },
    undefined,
    false,
    { before: [before({ classValidatorShim: true }, program)] },
  );
  // The factory the plugin adds: `static _OPENAPI_METADATA_FACTORY() { return { plain: { ... }, ... }; }`.
  const body = /static _OPENAPI_METADATA_FACTORY\(\) \{\s*return (\{[\s\S]*?\});\s*\}/.exec(js)?.[1];
  if (body === undefined) throw new Error(`the plugin added no metadata factory:\n${js}`);
  // The metadata object literal, evaluated apart from this module (it names only String and Number).
  return runInNewContext(`(${body})`, { String, Number }) as Record<string, Record<string, unknown>>;
}

const folder = mkdtempSync(join(tmpdir(), 'rampart-swagger-plugin-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe('the @nestjs/swagger CLI plugin and composed decorators', () => {
  it("reads class-validator's decorators by name and literal arguments, and cannot see inside @PlainText", () => {
    const metadata = pluginMetadata(DTO);
    expect(metadata.plain).toMatchObject({ required: true, maxLength: 200 });
    // Same constraint, composed: the plugin only knows a fixed list of class-validator names.
    expect(metadata.composed).toEqual({ required: true, type: expect.any(Function) });
    // What a user adds when the plugin alone must show it: the class-validator decorator beside it.
    expect(metadata.both).toMatchObject({ required: false, maxLength: 300 });
  });
});
