// The chat's small Markdown: source text → a token tree that Markdown.tsx turns into React
// elements. There is no HTML anywhere on the way (no dangerouslySetInnerHTML): text stays text,
// and the only attribute taken from the input is a link's href, which must be http:, https: or
// mailto: — anything else (javascript:, data:, relative paths) is shown as the plain text it was.
//
// Blocks: paragraphs (single newlines are line breaks), ``` fenced code ```, `- ` / `* ` / `1. `
// lists, `> ` quotes. Inline: **bold**, _italic_ / *italic*, ~strike~ / ~~strike~~, `code`,
// [text](url), bare http(s) URLs, mention tokens `<@user_id>`, @here and @channel (@semua, @all).

export type Inline =
  | { type: 'text'; text: string }
  | { type: 'bold' | 'italic' | 'strike'; children: Inline[] }
  | { type: 'code'; text: string }
  | { type: 'link'; href: string; children: Inline[] }
  | { type: 'mention'; userId: string }
  | { type: 'special'; name: SpecialMention }
  | { type: 'br' };

/** Broadcast words the server recognises: `@here`, and `@channel` with its synonyms. */
export type SpecialMention = 'here' | 'channel' | 'semua' | 'all';

export type Block =
  | { type: 'paragraph'; children: Inline[] }
  | { type: 'code'; text: string; lang: string }
  | { type: 'list'; ordered: boolean; start: number; items: Inline[][] }
  | { type: 'quote'; children: Block[] };

const SAFE_PROTOCOLS = new Set(['http:', 'https:', 'mailto:']);
const MAX_QUOTE_DEPTH = 3;

/** The href to use for `url`, or null when it is not an absolute http(s)/mailto URL. */
export function safeHref(url: string): string | null {
  const trimmed = url.trim();
  if (!trimmed || /[\s<>"'`]/.test(trimmed)) return null;
  let parsed: URL;
  try {
    parsed = new URL(trimmed);
  } catch {
    return null;
  }
  if (!SAFE_PROTOCOLS.has(parsed.protocol)) return null;
  return parsed.href;
}

const FENCE = /^\s*```(.*)$/;
const BULLET = /^\s*[-*•]\s+(.*)$/;
const ORDERED = /^\s*(\d{1,9})[.)]\s+(.*)$/;
const QUOTE = /^\s*>\s?(.*)$/;

export function parseMarkdown(source: string, depth = 0): Block[] {
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  const blocks: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    const fence = FENCE.exec(line);
    if (fence) {
      const body: string[] = [];
      i++;
      while (i < lines.length && !/^\s*```\s*$/.test(lines[i]!)) body.push(lines[i++]!);
      i++; // the closing fence (or past the end)
      blocks.push({ type: 'code', text: body.join('\n'), lang: fence[1]!.trim() });
      continue;
    }
    if (depth < MAX_QUOTE_DEPTH && QUOTE.test(line)) {
      const body: string[] = [];
      let m: RegExpExecArray | null;
      while (i < lines.length && (m = QUOTE.exec(lines[i]!))) {
        body.push(m[1]!);
        i++;
      }
      blocks.push({ type: 'quote', children: parseMarkdown(body.join('\n'), depth + 1) });
      continue;
    }
    const bullet = BULLET.exec(line);
    const ordered = ORDERED.exec(line);
    if (bullet || ordered) {
      const isOrdered = !bullet;
      const pattern = isOrdered ? ORDERED : BULLET;
      const items: Inline[][] = [];
      let m: RegExpExecArray | null;
      while (i < lines.length && (m = pattern.exec(lines[i]!))) {
        items.push(parseInline(isOrdered ? m[2]! : m[1]!));
        i++;
      }
      blocks.push({ type: 'list', ordered: isOrdered, start: isOrdered ? Number(ordered![1]) : 1, items });
      continue;
    }
    if (line.trim() === '') {
      i++;
      continue;
    }
    const para: string[] = [];
    while (
      i < lines.length &&
      lines[i]!.trim() !== '' &&
      !FENCE.test(lines[i]!) &&
      !(depth < MAX_QUOTE_DEPTH && QUOTE.test(lines[i]!)) &&
      !BULLET.test(lines[i]!) &&
      !ORDERED.test(lines[i]!)
    ) {
      para.push(lines[i++]!);
    }
    const children: Inline[] = [];
    para.forEach((p, n) => {
      if (n > 0) children.push({ type: 'br' });
      children.push(...parseInline(p));
    });
    blocks.push({ type: 'paragraph', children });
  }
  return blocks;
}

const MENTION = /^<@([A-Za-z0-9_-]{1,64})>/;
const LINK = /^\[([^\]\n]{1,500})\]\(([^()\s]{1,2000})\)/;
const URL_RE = /^https?:\/\/[^\s<>"'`]+/;
const SPECIAL = /^@(here|channel|semua|all)(?![\p{L}\p{N}_])/u;

const isWordChar = (c: string | undefined) => !!c && /[\p{L}\p{N}_]/u.test(c);
const isSpace = (c: string | undefined) => !c || /\s/.test(c);

/** Trailing punctuation is not part of a bare URL ("see https://x.id."); a ")" only when it
 * does not close a "(" inside the URL (Wikipedia links). */
function trimUrl(url: string): string {
  let end = url.length;
  while (end > 0) {
    const c = url[end - 1]!;
    if ('.,;:!?\'"'.includes(c)) {
      end--;
      continue;
    }
    if (c === ')') {
      const body = url.slice(0, end);
      const open = (body.match(/\(/g) ?? []).length;
      const close = (body.match(/\)/g) ?? []).length;
      if (close > open) {
        end--;
        continue;
      }
    }
    break;
  }
  return url.slice(0, end);
}

interface Delim {
  open: string;
  type: 'bold' | 'italic' | 'strike';
  /** `_` must sit at word edges (snake_case_names stay as they are). */
  wordEdge: boolean;
}

const DELIMS: Delim[] = [
  { open: '**', type: 'bold', wordEdge: false },
  { open: '~~', type: 'strike', wordEdge: false },
  { open: '*', type: 'italic', wordEdge: false },
  { open: '_', type: 'italic', wordEdge: true },
  { open: '~', type: 'strike', wordEdge: false },
];

/** Where the emphasis opened at `start` closes, or -1. */
function findClose(text: string, start: number, d: Delim): number {
  const from = start + d.open.length;
  if (isSpace(text[from])) return -1;
  let j = from;
  while ((j = text.indexOf(d.open, j + 1)) !== -1) {
    if (isSpace(text[j - 1])) continue;
    const after = text[j + d.open.length];
    if (d.wordEdge && isWordChar(after)) continue;
    // A single `*`/`~` must not be half of a double one.
    if (d.open.length === 1 && after === d.open) {
      j++;
      continue;
    }
    return j;
  }
  return -1;
}

export function parseInline(text: string, inLink = false): Inline[] {
  const out: Inline[] = [];
  let buf = '';
  const flush = () => {
    if (buf) out.push({ type: 'text', text: buf });
    buf = '';
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    const rest = text.slice(i);

    if (c === '`') {
      const end = text.indexOf('`', i + 1);
      if (end > i + 1) {
        flush();
        out.push({ type: 'code', text: text.slice(i + 1, end) });
        i = end + 1;
        continue;
      }
    }
    if (c === '<') {
      const m = MENTION.exec(rest);
      if (m) {
        flush();
        out.push({ type: 'mention', userId: m[1]! });
        i += m[0].length;
        continue;
      }
    }
    if (c === '[' && !inLink) {
      const m = LINK.exec(rest);
      if (m) {
        const href = safeHref(m[2]!);
        if (href) {
          flush();
          out.push({ type: 'link', href, children: parseInline(m[1]!, true) });
        } else {
          buf += m[0]; // an unsafe link is shown as the text that was typed
        }
        i += m[0].length;
        continue;
      }
    }
    if (c === 'h' && !inLink && !isWordChar(text[i - 1])) {
      const m = URL_RE.exec(rest);
      if (m) {
        const url = trimUrl(m[0]);
        const href = safeHref(url);
        if (href) {
          flush();
          out.push({ type: 'link', href, children: [{ type: 'text', text: url }] });
          i += url.length;
          continue;
        }
      }
    }
    if (c === '@' && !isWordChar(text[i - 1])) {
      const m = SPECIAL.exec(rest);
      if (m) {
        flush();
        out.push({ type: 'special', name: m[1] as SpecialMention });
        i += m[0].length;
        continue;
      }
    }
    if (c === '*' || c === '_' || c === '~') {
      const d = DELIMS.find((x) => rest.startsWith(x.open) && (!x.wordEdge || !isWordChar(text[i - 1])));
      if (d) {
        const end = findClose(text, i, d);
        if (end > i + d.open.length) {
          flush();
          out.push({ type: d.type, children: parseInline(text.slice(i + d.open.length, end), inLink) });
          i = end + d.open.length;
          continue;
        }
        // No closer: the delimiter is text (all of it, so `**` does not become two italics).
        buf += d.open;
        i += d.open.length;
        continue;
      }
    }
    buf += c;
    i++;
  }
  flush();
  return out;
}

/** A body with mention tokens turned into `@name` (for copying), line breaks kept. */
export function withMentionNames(body: string, nameOf: (userId: string) => string | undefined): string {
  return body.replace(/<@([A-Za-z0-9_-]{1,64})>/g, (_, id: string) => `@${nameOf(id) ?? id.slice(0, 6)}`);
}

/** Plain text of a message body for previews (one line): mention tokens become `@name`,
 * markup characters stay as typed. */
export function plainPreview(body: string, nameOf: (userId: string) => string | undefined): string {
  return withMentionNames(body, nameOf).replace(/\s+/g, ' ').trim();
}
