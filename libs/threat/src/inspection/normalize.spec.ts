import { describe, expect, it } from 'vitest';
import { decodeHtmlEntities, normalize, percentDecode } from './normalize';

describe('normalize', () => {
  it('decodes percent escapes as UTF-8, IIS %u escapes and overlong forms', () => {
    expect(percentDecode('%3Cb%3E%C3%A9')).toBe('<b>é');
    expect(percentDecode('%u003c')).toBe('<');
    expect(percentDecode('..%c0%af..%c0%ae')).toBe('../...');
    expect(percentDecode('100%')).toBe('100%');
    expect(percentDecode('%zz%4')).toBe('%zz%4');
  });

  it('decodes named and numeric entities, with or without semicolons', () => {
    expect(decodeHtmlEntities('&lt;&#60;&#x3C;&#0000060&colon;&Tab;&unknown;')).toBe('<<<<:\t&unknown;');
  });

  it('peels up to three layers, folds compatibility characters, drops NUL and lower-cases', () => {
    expect(normalize('%25253Cx%25253E')).toBe('<x>');
    expect(normalize('ＳＥＬＥＣＴ')).toBe('select');
    expect(normalize('a\u0000b')).toBe('ab');
  });
});
