// The search pane: a query field with filter chips, the error at its position, and results
// (conversation, author, time, a snippet with the matching words marked) that open the
// conversation at the message. It takes the conversation's place (`/chat?q=…`); on phones it
// is the one pane shown.

import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import { useInfiniteQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { ApiError } from '../../api/client';
import * as ep from '../../api/chatEndpoints';
import type { SearchResult } from '../../api/types';
import { Icon } from '../../components/Icon';
import { EmptyState, Loading } from '../../components/Page';
import { useToast } from '../../components/Toast';
import { chatKeys, FIRST_INDEX, flashStore, type MessageWindow } from '../../lib/chatCache';
import { errorMessage } from '../../lib/errors';
import { FILTER_CHIPS, readableSnippet, searchTarget, splitAtPosition, withFilter } from '../../lib/search';
import { PAGE_SIZE } from './chatHooks';
import { useChatScope } from './context';
import { PersonAvatar } from './MessageItem';
import { dayLabel, formatClock } from './time';

const searchKey = (orgId: string, q: string) => [...chatKeys.all(orgId), 'search', q] as const;

/** What each chip adds, for its tooltip. */
const CHIP_HELP: Record<(typeof FILTER_CHIPS)[number], string> = {
  'in:#': 'chatSearch.chipIn',
  'from:@': 'chatSearch.chipFrom',
  'has:file': 'chatSearch.chipFile',
  'has:link': 'chatSearch.chipLink',
  'is:pinned': 'chatSearch.chipPinned',
  'before:': 'chatSearch.chipBefore',
  'after:': 'chatSearch.chipAfter',
};

/** Replaces a conversation's message window with the page around `seq`, marked to start there
 * (the list remounts on the new epoch). */
export async function showAround(qc: QueryClient, orgId: string, cid: string, seq: number): Promise<void> {
  const page = await ep.listMessages(orgId, cid, { around: seq, limit: PAGE_SIZE });
  const prev = qc.getQueryData<MessageWindow>(chatKeys.messages(orgId, cid));
  qc.setQueryData<MessageWindow>(chatKeys.messages(orgId, cid), {
    messages: page.messages,
    hasMoreBefore: page.has_more_before,
    hasMoreAfter: page.has_more_after,
    firstIndex: FIRST_INDEX,
    epoch: (prev?.epoch ?? 0) + 1,
    focusSeq: seq,
  });
}

/** Lights up a message once it is rendered (see `flashStore`); a thread reply is scrolled
 * into view. */
function flashMessage(id: string): void {
  flashStore.set(id);
  let tries = 0;
  const tick = () => {
    const found = document.querySelectorAll<HTMLElement>(`.thread-pane [data-testid="message"][data-message-id="${CSS.escape(id)}"]`);
    if (found.length === 0) {
      if (tries++ < 180) requestAnimationFrame(tick);
      return;
    }
    for (const el of found) el.scrollIntoView({ block: 'nearest' });
  };
  requestAnimationFrame(tick);
}

function ResultRow({ r, onOpen }: { r: SearchResult; onOpen: (r: SearchResult) => void }) {
  const { t } = useTranslation();
  const { timeZone, lang, person } = useChatScope();
  const m = r.message;
  const c = r.conversation;
  const kindIcon = c.kind === 'private' ? 'lock' : c.kind === 'public' ? 'hash' : c.kind === 'meeting' ? 'video' : c.kind === 'dm' ? 'user' : 'users';
  const name = (id: string) => person(id)?.name;
  return (
    <li>
      <button type="button" className="search-result" onClick={() => onOpen(r)} data-testid="chat-search-result" data-message-id={m.id} data-conversation-id={c.id}>
        <span className="search-result-where small muted">
          <Icon name={kindIcon} size={14} />
          <span className="truncate" data-testid="chat-search-result-conversation">{c.title}</span>
          {m.thread_root_id ? <span className="search-result-thread">· {t('chatSearch.inThread')}</span> : null}
        </span>
        <span className="search-result-head">
          <PersonAvatar who={m.author} size={24} />
          <strong className="truncate">{m.author.name}</strong>
          <time className="small muted" dateTime={m.created_at}>
            {dayLabel(m.created_at, timeZone, lang, t)} {formatClock(m.created_at, timeZone, lang)}
          </time>
        </span>
        <span className="search-snippet" data-testid="chat-search-snippet">
          {r.snippet.map((part, i) =>
            part.hit ? <mark key={i}>{readableSnippet(part.text, name)}</mark> : <span key={i}>{readableSnippet(part.text, name)}</span>,
          )}
        </span>
      </button>
    </li>
  );
}

export function SearchPane({ query, onQuery, onClose }: { query: string; onQuery: (q: string) => void; onClose: () => void }) {
  const { t } = useTranslation();
  const { orgId, basePath } = useChatScope();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const toast = useToast();
  const input = useRef<HTMLInputElement>(null);
  const [draft, setDraft] = useState(query);
  const q = query.trim();

  useEffect(() => setDraft(query), [query]);
  useEffect(() => input.current?.focus(), []);

  const results = useInfiniteQuery({
    queryKey: searchKey(orgId, q),
    queryFn: ({ pageParam, signal }) => ep.searchMessages(orgId, q, pageParam, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    enabled: q !== '',
    retry: (count, e) => !(e instanceof ApiError && e.status < 500) && count < 2,
    staleTime: 30_000,
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    onQuery(draft.trim());
  };

  const addChip = (chip: (typeof FILTER_CHIPS)[number]) => {
    const next = withFilter(draft, chip);
    setDraft(next);
    const complete = !/[:#@]$/.test(chip);
    if (complete) onQuery(next.trim());
    requestAnimationFrame(() => {
      const el = input.current;
      if (!el) return;
      el.focus();
      el.setSelectionRange(next.length, next.length);
    });
  };

  const open = async (r: SearchResult) => {
    const cid = encodeURIComponent(r.conversation.id);
    const target = searchTarget(r.message);
    try {
      if (target.kind === 'thread') {
        navigate(`${basePath}/${cid}/thread/${encodeURIComponent(target.rootId)}`);
      } else {
        await showAround(qc, orgId, r.conversation.id, target.seq);
        navigate(`${basePath}/${cid}`);
      }
      flashMessage(r.message.id);
    } catch (e) {
      toast(errorMessage(t, e), 'error');
    }
  };

  const error = results.error;
  const positioned = error instanceof ApiError && error.field === 'q' && error.position !== undefined ? error.position : undefined;
  const items = results.data?.pages.flatMap((p) => p.results) ?? [];

  return (
    <section className="chat-pane search-pane" aria-label={t('chatSearch.title')} data-testid="chat-search-pane">
      <header className="pane-header">
        <button type="button" className="btn btn-ghost btn-icon pane-back" onClick={onClose} aria-label={t('common.back')} data-testid="chat-search-back">
          <Icon name="arrowLeft" />
        </button>
        <Icon name="search" size={18} />
        <h2 className="grow">{t('chatSearch.title')}</h2>
        <button type="button" className="btn btn-ghost btn-icon search-close" onClick={onClose} aria-label={t('chatSearch.close')} title={t('chatSearch.close')} data-testid="chat-search-close">
          <Icon name="close" size={18} />
        </button>
      </header>
      <form className="search-form" onSubmit={submit} role="search">
        <div className="search-field">
          <input
            ref={input}
            type="search"
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
            placeholder={t('chatSearch.placeholder')}
            aria-label={t('chatSearch.title')}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? 'chat-search-error' : undefined}
            maxLength={1000}
            enterKeyHint="search"
            data-testid="chat-search-input"
          />
          <button type="submit" className="btn btn-primary btn-sm" data-testid="chat-search-submit">
            {t('chatSearch.submit')}
          </button>
        </div>
        <div className="search-chips" aria-label={t('chatSearch.filters')}>
          {FILTER_CHIPS.map((chip) => (
            <button key={chip} type="button" className="search-chip" onClick={() => addChip(chip)} title={t(CHIP_HELP[chip])} data-testid="chat-search-chip" data-filter={chip}>
              {chip}
            </button>
          ))}
        </div>
        {error ? (
          <div className="search-error" role="alert" id="chat-search-error" data-testid="chat-search-error" data-code={error instanceof ApiError ? error.code : undefined}>
            <Icon name="alert" size={16} />
            <div className="min-w-0">
              <p>{errorMessage(t, error)}</p>
              {positioned !== undefined ? <PositionedQuery query={q} position={positioned} /> : null}
            </div>
          </div>
        ) : null}
      </form>
      <div className="search-results" data-testid="chat-search-results">
        {q === '' ? (
          <p className="search-help muted small">{t('chatSearch.help')}</p>
        ) : results.isPending ? (
          <Loading />
        ) : error ? null : items.length === 0 ? (
          <EmptyState>{t('chatSearch.empty')}</EmptyState>
        ) : (
          <>
            <ul className="search-list">
              {items.map((r) => (
                <ResultRow key={r.message.id} r={r} onOpen={(x) => void open(x)} />
              ))}
            </ul>
            {results.hasNextPage ? (
              <button type="button" className="btn btn-secondary btn-sm search-more" onClick={() => void results.fetchNextPage()} disabled={results.isFetchingNextPage} data-testid="chat-search-more">
                {t('chatSearch.loadMore')}
              </button>
            ) : null}
          </>
        )}
      </div>
    </section>
  );
}

/** The query with the part the server pointed at underlined, and the position in words. */
function PositionedQuery({ query, position }: { query: string; position: number }) {
  const { t } = useTranslation();
  const { before, at, after } = splitAtPosition(query, position);
  return (
    <p className="search-error-query small" data-testid="chat-search-error-position" data-position={position}>
      <code>
        {before}
        <mark className="search-error-at">{at || ' '}</mark>
        {after}
      </code>{' '}
      <span className="muted">{t('chatSearch.errorAt', { n: position + 1 })}</span>
    </p>
  );
}
