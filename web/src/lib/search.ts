// Chat search without React: where a query error points, adding a filter to a query, a result
// snippet's text as people read it, and where a result opens.

import type { Message } from '../api/types';

/** Filters offered as chips under the search field, in the order shown. A value after the colon
 * is typed by the person (`in:#`, `from:@`, dates), or complete (`has:file`). */
export const FILTER_CHIPS = ['in:#', 'from:@', 'has:file', 'has:link', 'is:pinned', 'before:', 'after:'] as const;

/** The query with `filter` added at its end (one space between), unless a complete filter is
 * already there. */
export function withFilter(query: string, filter: string): string {
  const complete = !filter.endsWith(':') && !filter.endsWith('#') && !filter.endsWith('@');
  if (complete && query.split(/\s+/).some((w) => w.toLowerCase() === filter)) return query;
  const base = query.replace(/\s+$/, '');
  return base ? `${base} ${filter}` : filter;
}

/** The query split around the item at `position` (characters, as the server counts them), to
 * underline it: the item runs to the next space; past the end it is empty. */
export function splitAtPosition(query: string, position: number): { before: string; at: string; after: string } {
  const chars = [...query];
  const start = Math.max(0, Math.min(position, chars.length));
  let end = start;
  while (end < chars.length && !/\s/.test(chars[end]!)) end++;
  return {
    before: chars.slice(0, start).join(''),
    at: chars.slice(start, end).join(''),
    after: chars.slice(end).join(''),
  };
}

/** A snippet part as people read it: mentions as `@Name`, Markdown emphasis and code marks
 * dropped (the server cuts snippets from the Markdown as written). */
export function readableSnippet(text: string, nameOf: (userId: string) => string | undefined): string {
  return text
    .replace(/<@([0-9a-fA-F-]{36})>/g, (_, id: string) => `@${nameOf(id) ?? '…'}`)
    .replace(/(\*\*|__|~~|`)/g, '');
}

/** Where a result opens: a reply only in its thread opens the thread; everything else the
 * conversation, around the message. */
export type SearchTarget = { kind: 'thread'; rootId: string } | { kind: 'conversation'; seq: number };

export function searchTarget(m: Pick<Message, 'thread_root_id' | 'also_in_channel' | 'seq'>): SearchTarget {
  if (m.thread_root_id && !m.also_in_channel) return { kind: 'thread', rootId: m.thread_root_id };
  return { kind: 'conversation', seq: m.seq };
}
