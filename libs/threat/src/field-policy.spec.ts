import 'reflect-metadata';
import { Body, Controller, Post, type ExecutionContext } from '@nestjs/common';
import { RichText } from '@rampart/validation';
import { Type } from 'class-transformer';
import { IsString, ValidateNested } from 'class-validator';
import { describe, expect, it } from 'vitest';
import { routeInspection, ThreatField } from './field-policy';
import { inspectRequest } from './inspection/inspect';

class SnippetDto {
  @IsString() @ThreatField('code') source!: string;
  @IsString() title!: string;
}
class SectionDto {
  @RichText({ maxLength: 1000 }) html!: string;
  @IsString() heading!: string;
  @ValidateNested({ each: true }) @Type(() => SnippetDto) snippets!: SnippetDto[];
}
class CategoryDto {
  @IsString() name!: string;
  @ValidateNested() @Type(() => CategoryDto) parent?: CategoryDto; // cyclic: followed a bounded number of times
}
class PageDto {
  @RichText({ maxLength: 1000 }) intro!: string;
  @ValidateNested() @Type(() => SectionDto) hero!: SectionDto;
  @ValidateNested({ each: true }) @Type(() => SectionDto) sections!: SectionDto[];
  @ValidateNested() @Type(() => CategoryDto) category!: CategoryDto;
}

@Controller()
class PagesController {
  @Post('pages')
  create(@Body() page: PageDto): PageDto {
    return page;
  }
}

function contextOf(handler: keyof PagesController): ExecutionContext {
  return {
    getClass: () => PagesController,
    getHandler: () => Reflect.get(PagesController.prototype, handler) as unknown,
  } as unknown as ExecutionContext;
}

const XSS = '<script>alert(1)</script>';
const SQLI = "' union select password from users--";

describe('field policy on nested DTOs (@ValidateNested + @Type)', () => {
  const route = routeInspection(contextOf('create'), undefined);

  it('maps @RichText and @ThreatField of nested DTOs to their JSON paths, arrays as *', () => {
    expect(Object.keys(route.exempt).sort()).toEqual([
      'body.hero.html',
      'body.hero.snippets.*.source',
      'body.intro',
      'body.sections.*.html',
      'body.sections.*.snippets.*.source',
    ]);
  });

  const findings = (body: unknown) =>
    inspectRequest({ method: 'POST', path: '/pages', body }, { exempt: route.exempt }).findings.map(
      (f) => `${f.location} ${f.category}`,
    );

  it('lets markup through in nested rich text, and refuses it in a nested plain field beside it', () => {
    expect(findings({ hero: { html: XSS, heading: 'Hi' }, sections: [{ html: XSS, heading: 'ok' }] })).toEqual([]);
    expect(findings({ hero: { html: '<p>x</p>', heading: XSS } })).toEqual(['body.hero.heading xss']);
    expect(
      findings({
        sections: [
          { html: 'x', heading: 'ok' },
          { html: 'y', heading: XSS },
        ],
      }),
    ).toEqual(['body.sections.1.heading xss']);
  });

  it('keeps every other category in nested rich text, and exempts code two levels down only where declared', () => {
    expect(findings({ hero: { html: SQLI } })).toEqual(['body.hero.html sqli']);
    expect(findings({ sections: [{ snippets: [{ source: SQLI, title: 'ok' }] }] })).toEqual([]);
    expect(findings({ sections: [{ snippets: [{ source: 'ok', title: SQLI }] }] })).toEqual([
      'body.sections.0.snippets.0.title sqli',
    ]);
  });

  it('follows a cyclic DTO without looping and exempts nothing it does not declare', () => {
    expect(findings({ category: { name: XSS, parent: { name: 'x' } } })).toEqual(['body.category.name xss']);
  });
});
