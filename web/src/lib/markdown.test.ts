import { describe, expect, it } from 'vitest';
import { parseInline, parseMarkdown, plainPreview, safeHref, type Block, type Inline } from './markdown';

const text = (t: string): Inline => ({ type: 'text', text: t });
const para = (...children: Inline[]): Block => ({ type: 'paragraph', children });

function check(input: string, expected: Block[]) {
  expect(parseMarkdown(input)).toEqual(expected);
}

/** Every href anywhere in the tree. */
function hrefs(blocks: Block[]): string[] {
  const out: string[] = [];
  const inl = (xs: Inline[]) => {
    for (const x of xs) {
      if (x.type === 'link') out.push(x.href);
      if ('children' in x) inl(x.children);
    }
  };
  for (const b of blocks) {
    if (b.type === 'paragraph') inl(b.children);
    if (b.type === 'list') b.items.forEach(inl);
    if (b.type === 'quote') out.push(...hrefs(b.children));
  }
  return out;
}

describe('inline markup', () => {
  it('bold, italic, strike, code', () => {
    expect(parseInline('**tebal** dan _miring_ dan *juga* ~coret~ ~~dua~~ `kode`')).toEqual([
      { type: 'bold', children: [text('tebal')] },
      text(' dan '),
      { type: 'italic', children: [text('miring')] },
      text(' dan '),
      { type: 'italic', children: [text('juga')] },
      text(' '),
      { type: 'strike', children: [text('coret')] },
      text(' '),
      { type: 'strike', children: [text('dua')] },
      text(' '),
      { type: 'code', text: 'kode' },
    ]);
  });

  it('nests emphasis and keeps code literal', () => {
    expect(parseInline('**a _b_**')).toEqual([{ type: 'bold', children: [text('a '), { type: 'italic', children: [text('b')] }] }]);
    expect(parseInline('`**not bold**`')).toEqual([{ type: 'code', text: '**not bold**' }]);
  });

  it('leaves snake_case, lone stars and unclosed markers alone', () => {
    expect(parseInline('file_name_here')).toEqual([text('file_name_here')]);
    expect(parseInline('2 * 3 * 4')).toEqual([text('2 * 3 * 4')]);
    expect(parseInline('**open')).toEqual([text('**open')]);
    expect(parseInline('a ~ b')).toEqual([text('a ~ b')]);
  });

  it('links: [text](url) and bare URLs without trailing punctuation', () => {
    expect(parseInline('lihat [situs](https://kantor.id/a?b=1).')).toEqual([
      text('lihat '),
      { type: 'link', href: 'https://kantor.id/a?b=1', children: [text('situs')] },
      text('.'),
    ]);
    expect(parseInline('buka https://kantor.id/x, lalu')).toEqual([
      text('buka '),
      { type: 'link', href: 'https://kantor.id/x', children: [text('https://kantor.id/x')] },
      text(', lalu'),
    ]);
    expect(parseInline('(https://en.wikipedia.org/wiki/Foo_(bar))')).toEqual([
      text('('),
      { type: 'link', href: 'https://en.wikipedia.org/wiki/Foo_(bar)', children: [text('https://en.wikipedia.org/wiki/Foo_(bar)')] },
      text(')'),
    ]);
    expect(parseInline('[surat](mailto:tu@dinas.go.id)')).toEqual([
      { type: 'link', href: 'mailto:tu@dinas.go.id', children: [text('surat')] },
    ]);
  });

  it('mentions and @here/@channel', () => {
    expect(parseInline('hai <@u_123> dan @here, @channel!')).toEqual([
      text('hai '),
      { type: 'mention', userId: 'u_123' },
      text(' dan '),
      { type: 'special', name: 'here' },
      text(', '),
      { type: 'special', name: 'channel' },
      text('!'),
    ]);
    expect(parseInline('budi@here.id @heresy')).toEqual([text('budi@here.id @heresy')]);
    expect(parseInline('@semua')).toEqual([{ type: 'special', name: 'semua' }]);
  });
});

describe('blocks', () => {
  it('paragraphs with line breaks', () => {
    check('satu\ndua\n\ntiga', [para(text('satu'), { type: 'br' }, text('dua')), para(text('tiga'))]);
  });

  it('fenced code keeps everything literal', () => {
    check('```js\nconst a = **1**;\n<b>x</b>\n```\nsesudah', [
      { type: 'code', lang: 'js', text: 'const a = **1**;\n<b>x</b>' },
      para(text('sesudah')),
    ]);
  });

  it('lists and quotes', () => {
    check('- satu\n- **dua**\n\n3. tiga\n4. empat', [
      { type: 'list', ordered: false, start: 1, items: [[text('satu')], [{ type: 'bold', children: [text('dua')] }]] },
      { type: 'list', ordered: true, start: 3, items: [[text('tiga')], [text('empat')]] },
    ]);
    check('> kutipan\n> baris _dua_\nbalasan', [
      { type: 'quote', children: [para(text('kutipan'), { type: 'br' }, text('baris '), { type: 'italic', children: [text('dua')] })] },
      para(text('balasan')),
    ]);
  });
});

describe('hostile input', () => {
  it('HTML is text, never markup', () => {
    check('<script>alert(1)</script>', [para(text('<script>alert(1)</script>'))]);
    check('<img src=x onerror=alert(1)>', [para(text('<img src=x onerror=alert(1)>'))]);
  });

  it('javascript:, data: and other schemes stay plain text', () => {
    for (const evil of [
      '[klik](javascript:alert(1))',
      '[klik](javascript:alert`1`)',
      '[klik](JaVaScRiPt:alert(1))',
      '[klik](data:text/html;base64,PHNjcmlwdD4=)',
      '[klik](vbscript:msgbox)',
      '[klik](/relative)',
      '[klik](//evil.example)',
      'javascript:alert(1)',
    ]) {
      const blocks = parseMarkdown(evil);
      expect(hrefs(blocks), evil).toEqual([]);
    }
    expect(parseInline('[klik](javascript:void(0))')).toEqual([text('[klik](javascript:void(0))')]);
  });

  it('attribute injection through a URL is impossible', () => {
    expect(safeHref('https://x.id/" onmouseover="alert(1)')).toBeNull();
    expect(safeHref('https://x.id/a"b')).toBeNull();
    const [link] = parseInline('https://x.id/"onerror=alert(1)');
    expect(link).toEqual({ type: 'link', href: 'https://x.id/', children: [text('https://x.id/')] });
  });

  it('only http, https and mailto are allowed', () => {
    expect(safeHref('https://kantor.id')).toBe('https://kantor.id/');
    expect(safeHref('http://kantor.id/a')).toBe('http://kantor.id/a');
    expect(safeHref('mailto:a@b.id')).toBe('mailto:a@b.id');
    expect(safeHref('java\tscript:alert(1)')).toBeNull();
    expect(safeHref('ftp://x.id')).toBeNull();
    expect(safeHref('file:///etc/passwd')).toBeNull();
  });

  it('deep quotes do not recurse without end', () => {
    const blocks = parseMarkdown('>'.repeat(5000) + ' x');
    expect(blocks.length).toBe(1);
  });
});

describe('plainPreview', () => {
  it('names mentions and folds whitespace', () => {
    expect(plainPreview('hai <@u1>\n\n**ok**', (id) => (id === 'u1' ? 'Rina' : undefined))).toBe('hai @Rina **ok**');
  });
});
