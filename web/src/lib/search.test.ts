import { describe, expect, it } from 'vitest';
import { readableSnippet, searchTarget, splitAtPosition, withFilter } from './search';

describe('withFilter', () => {
  it('adds a filter after the words with one space', () => {
    expect(withFilter('', 'in:#')).toBe('in:#');
    expect(withFilter('laporan  ', 'from:@')).toBe('laporan from:@');
    expect(withFilter('laporan', 'has:file')).toBe('laporan has:file');
  });

  it('does not repeat a complete filter', () => {
    expect(withFilter('laporan has:file', 'has:file')).toBe('laporan has:file');
    expect(withFilter('in:#umum', 'in:#')).toBe('in:#umum in:#');
  });
});

describe('splitAtPosition', () => {
  it('isolates the item at the position', () => {
    expect(splitAtPosition('x before:2026-02-30 y', 9)).toEqual({ before: 'x before:', at: '2026-02-30', after: ' y' });
    expect(splitAtPosition('rapat form:budi', 6)).toEqual({ before: 'rapat ', at: 'form:budi', after: '' });
  });

  it('counts characters, not UTF-16 units', () => {
    expect(splitAtPosition('😀 has:foto', 6)).toEqual({ before: '😀 has:', at: 'foto', after: '' });
  });

  it('is empty past the end', () => {
    expect(splitAtPosition('abc', 3)).toEqual({ before: 'abc', at: '', after: '' });
    expect(splitAtPosition('abc', 10)).toEqual({ before: 'abc', at: '', after: '' });
  });
});

describe('readableSnippet', () => {
  const id = '0192f0c4-7a1b-7cde-8f00-123456789abc';
  it('names mentions and drops emphasis marks', () => {
    expect(readableSnippet(`halo <@${id}> **penting** \`kode\``, () => 'Ani')).toBe('halo @Ani penting kode');
    expect(readableSnippet(`<@${id}>`, () => undefined)).toBe('@…');
  });
});

describe('searchTarget', () => {
  it('opens thread-only replies in their thread', () => {
    expect(searchTarget({ thread_root_id: 'r', also_in_channel: false, seq: 5 })).toEqual({ kind: 'thread', rootId: 'r' });
    expect(searchTarget({ thread_root_id: 'r', also_in_channel: true, seq: 5 })).toEqual({ kind: 'conversation', seq: 5 });
    expect(searchTarget({ thread_root_id: null, also_in_channel: true, seq: 7 })).toEqual({ kind: 'conversation', seq: 7 });
  });
});
