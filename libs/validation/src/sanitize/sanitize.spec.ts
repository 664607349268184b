import { plainToInstance } from 'class-transformer';
import { IsNotEmpty, IsString, MaxLength, validate } from 'class-validator';
import { describe, expect, it } from 'vitest';
import { NormalizeUnicode, PlainText, RichText, SanitizeHtml, StripHtml, Trim } from './sanitize.decorators';
import { normalizeUnicode, sanitizeHtml, stripHtml } from './sanitize';

describe('sanitizeHtml', () => {
  it.each([
    ['<script>alert(1)</script><b>hi</b>', '<b>hi</b>'],
    ['<a href="javascript:alert(1)">x</a>', '<a>x</a>'],
    ['<a href="JAVASCRIPT:alert(1)">x</a>', '<a>x</a>'],
    ['<a href="java&#x09;script:alert(1)">x</a>', '<a>x</a>'],
    ['<a href="data:text/html,<script>alert(1)</script>">x</a>', '<a>x</a>'],
    ['<a href="//evil.example">x</a>', '<a>x</a>'],
    ['<a href="https://example.com" onclick="x()" target="_blank">x</a>', '<a href="https://example.com">x</a>'],
    ['<a href="mailto:a@example.com">mail</a>', '<a href="mailto:a@example.com">mail</a>'],
    ['<img src=x onerror=alert(1)><i>ok</i>', '<i>ok</i>'],
    ['<svg><script>alert(1)</script></svg>', ''],
    ['<b onmouseover="x()">b</b><em>e</em><strong>s</strong>', '<b>b</b><em>e</em><strong>s</strong>'],
    ['<style>*{}</style><iframe src="https://x"></iframe>text', 'text'],
  ])('%s → %s', (input, output) => {
    expect(sanitizeHtml(input)).toBe(output);
  });

  it('takes another allowlist', () => {
    expect(sanitizeHtml('<p><b>x</b></p>', { allowedTags: ['p'] })).toBe('<p>x</p>');
  });
});

describe('stripHtml and normalizeUnicode', () => {
  it('removes every tag and keeps the text entity-encoded', () => {
    expect(stripHtml('<i>Ada</i> <script>x</script>& co')).toBe('Ada &amp; co');
    expect(stripHtml('&lt;script&gt;')).toBe('&lt;script&gt;');
  });

  it('normalises to NFC and removes control characters and bidi overrides', () => {
    expect(normalizeUnicode('Cafe\u0301')).toBe('Café');
    expect(normalizeUnicode('a\u0000b\u0007c\u009Bd\u202Ee\u2066f')).toBe('abcdef');
    expect(normalizeUnicode('a\nb\tc\r')).toBe('abc');
    expect(normalizeUnicode('a\nb\u0000', { allowLineBreaks: true })).toBe('a\nb');
    expect(normalizeUnicode('👩‍💻')).toBe('👩‍💻'); // the zero-width joiner of emoji stays
  });
});

describe('decorators', () => {
  class Dto {
    @SanitizeHtml() bio: unknown;
    @StripHtml() name: unknown;
    @Trim() email: unknown;
    @NormalizeUnicode() handle: unknown;
    @Trim() @StripHtml() both: unknown;
  }

  it('transform strings and arrays of strings, and leave other values for the validators', () => {
    const dto = plainToInstance(Dto, {
      bio: ['<script>x</script><b>a</b>', 3],
      name: { nested: '<b>' },
      email: '  a@b.co ',
      handle: 'x\u0000',
      both: '  <b>x</b>  ',
    });
    expect(dto).toEqual({ bio: ['<b>a</b>', 3], name: { nested: '<b>' }, email: 'a@b.co', handle: 'x', both: 'x' });
  });
});

/** A composed decorator must transform and validate `text` exactly as the stack it stands for. */
async function expectSameAsStack(
  stack: new () => { text: unknown },
  composed: new () => { text: unknown },
  text: unknown,
) {
  const a = plainToInstance(stack, { text });
  const b = plainToInstance(composed, { text });
  expect(b.text).toEqual(a.text);
  const constraints = (errors: { constraints?: object }[]) => errors.map((e) => Object.keys(e.constraints ?? {}));
  expect(constraints(await validate(b))).toEqual(constraints(await validate(a)));
}

describe('@PlainText', () => {
  class Stacked {
    @IsString()
    @IsNotEmpty()
    @MaxLength(10)
    @Trim()
    @StripHtml()
    @NormalizeUnicode()
    text!: string;
  }
  class Composed {
    @PlainText({ maxLength: 10 })
    text!: string;
  }

  it.each(['  <b> Bob </b>  ', 'Cafe\u0301', ' a\u202Eb ', '<script>x</script>', '   ', 'x'.repeat(11), 42])(
    'transforms and validates %j as the stacked decorators do',
    (text) => expectSameAsStack(Stacked, Composed, text),
  );
});

describe('@RichText', () => {
  class Stacked {
    @IsString()
    @MaxLength(20)
    @SanitizeHtml()
    @NormalizeUnicode({ allowLineBreaks: true })
    text!: string;
  }
  class Composed {
    @RichText({ maxLength: 20 })
    text!: string;
  }

  it.each([
    '<b>bold</b>\nline two',
    '<a href="javascript:alert(1)">x</a>',
    '<img src=x onerror=alert(1)>Cafe\u0301',
    'a\u202Eb\u0000c',
    '',
    `<script>${'x'.repeat(40)}</script>ok`,
    'x'.repeat(21),
    42,
  ])('transforms and validates %j as the stacked decorators do', (text) => expectSameAsStack(Stacked, Composed, text));

  it('takes another allowlist', () => {
    class Paragraphs {
      @RichText({ maxLength: 50, allowlist: { allowedTags: ['p'] } })
      bio!: string;
    }
    expect(plainToInstance(Paragraphs, { bio: '<p><b>x</b></p>' }).bio).toBe('<p>x</p>');
  });
});
