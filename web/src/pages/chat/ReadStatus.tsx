// Read status of announcements (DingTalk's "dibaca 5.231 / 10.000"): the count under a message
// for its author and the group's owners, posters and admins, live while people read; a dialog
// listing who has (not) read it, by unit and name; and "remind the unread". Counts come from
// `GET …/read-status` for the messages in view and from the server's `read_status` pushes.

import { useEffect, useMemo, useState, useSyncExternalStore } from 'react';
import { useTranslation } from 'react-i18next';
import { useInfiniteQuery, useMutation, useQuery } from '@tanstack/react-query';
import * as ep from '../../api/chatEndpoints';
import { listUnits } from '../../api/endpoints';
import type { Conversation, Message } from '../../api/types';
import { Dialog } from '../../components/Dialog';
import { FormError } from '../../components/FormError';
import { Icon } from '../../components/Icon';
import { useToast } from '../../components/Toast';
import { applyReadStatus, readCountStore, withReadCounts } from '../../lib/chatCache';
import { errorMessage } from '../../lib/errors';
import { formatNumber } from '../../lib/format';
import { subscribeRealtime } from '../../lib/realtimeHub';
import { useChatScope, usePane } from './context';
import { PersonAvatar } from './MessageItem';

/** Whether this conversation shows read counts under messages (instead of ticks). */
export function showsReadCounts(c: Conversation): boolean {
  return (c.kind === 'public' || c.kind === 'private') && (c.announcement || !c.read_receipts);
}

/** Owners and posters of the conversation and admins see every message's status. */
function isSpeaker(c: Conversation, isOrgAdmin: boolean): boolean {
  return isOrgAdmin || c.my_role === 'owner' || c.my_role === 'poster';
}

function mayView(c: Conversation, m: Message, meId: string, isOrgAdmin: boolean): boolean {
  return !m.deleted && !m.thread_root_id && (m.author.id === meId || isSpeaker(c, isOrgAdmin));
}

/** Keeps the read counts of the messages in view: fetched once each, then live. */
export function useReadCounts(c: Conversation, messages: readonly Message[]) {
  const { orgId, me, isOrgAdmin } = useChatScope();
  const wanted = useMemo(
    () => (showsReadCounts(c) ? messages.filter((m) => mayView(c, m, me.id, isOrgAdmin)).map((m) => m.id) : []),
    [c, messages, me.id, isOrgAdmin],
  );
  const missingKey = wanted.filter((id) => !readCountStore.get().has(id)).slice(-50).join(',');
  useEffect(() => {
    if (!missingKey) return;
    let cancelled = false;
    ep.readStatus(orgId, c.id, missingKey.split(',')).then(
      (list) => {
        if (!cancelled) readCountStore.set(withReadCounts(readCountStore.get(), list));
      },
      () => {},
    );
    return () => {
      cancelled = true;
    };
  }, [orgId, c.id, missingKey]);
  useEffect(
    () =>
      subscribeRealtime({
        onEphemeral: (msg) => {
          if (msg.type === 'read_status' && msg.org_id === orgId) applyReadStatus(msg);
        },
      }),
    [orgId],
  );
}

/** "Dibaca 5.231 / 10.000" under a message, opening who has (not) read it. */
export function ReadCount({ m }: { m: Message }) {
  const { t } = useTranslation();
  const { me, isOrgAdmin, lang } = useChatScope();
  const pane = usePane();
  const counts = useSyncExternalStore(readCountStore.subscribe, readCountStore.get);
  const [open, setOpen] = useState(false);
  const c = pane.conversation;
  if (pane.threadRootId || !showsReadCounts(c) || !mayView(c, m, me.id, isOrgAdmin)) return null;
  const n = counts.get(m.id);
  if (!n) return null;
  const all = n.total > 0 && n.read >= n.total;
  return (
    <>
      <button
        type="button"
        className={`read-count${all ? ' read-count-all' : ''}`}
        onClick={() => setOpen(true)}
        data-testid="message-read-count"
        data-read={n.read}
        data-total={n.total}
      >
        <Icon name="eye" size={13} /> {t('chat.readCount', { read: formatNumber(n.read, lang), total: formatNumber(n.total, lang) })}
      </button>
      {open ? <ReadersDialog m={m} onClose={() => setOpen(false)} /> : null}
    </>
  );
}

const PAGE = 50;

function ReadersDialog({ m, onClose }: { m: Message; onClose: () => void }) {
  const { t } = useTranslation();
  const { orgId, lang, timeZone } = useChatScope();
  const pane = usePane();
  const toast = useToast();
  const cid = pane.conversation.id;
  const [state, setState] = useState<ep.ReaderState>('unread');
  const [unit, setUnit] = useState('');
  const [q, setQ] = useState('');
  const [query, setQuery] = useState('');
  useEffect(() => {
    const timer = setTimeout(() => setQuery(q.trim()), 250);
    return () => clearTimeout(timer);
  }, [q]);
  const counts = useSyncExternalStore(readCountStore.subscribe, readCountStore.get).get(m.id);
  const units = useQuery({ queryKey: ['units', orgId], queryFn: () => listUnits(orgId), staleTime: 60_000 });
  const list = useInfiniteQuery({
    queryKey: ['chat', orgId, 'readers', m.id, state, unit, query],
    queryFn: ({ pageParam }) =>
      ep.listReaders(orgId, cid, m.id, { state, unit_id: unit || undefined, q: query || undefined, limit: PAGE, offset: pageParam }),
    initialPageParam: 0,
    getNextPageParam: (last, pages) => {
      const seen = pages.reduce((n, p) => n + p.people.length, 0);
      return seen < last.matching ? seen : undefined;
    },
  });
  const first = list.data?.pages[0];
  const read = counts?.read ?? first?.read ?? 0;
  const total = counts?.total ?? first?.total ?? 0;
  const people = list.data?.pages.flatMap((p) => p.people) ?? [];
  const remindedAt = first?.reminded_at ? new Date(first.reminded_at) : null;
  const remindedRecently = remindedAt !== null && Date.now() - remindedAt.getTime() < 10 * 60_000;
  const remind = useMutation({
    mutationFn: () => ep.remindUnread(orgId, cid, m.id),
    onSuccess: (r) => {
      toast(t('chat.remindedToast', { count: r.reminded, n: formatNumber(r.reminded, lang) }));
      void list.refetch();
    },
  });
  const percent = total ? Math.round((read / total) * 100) : 0;
  return (
    <Dialog open onClose={onClose} title={t('chat.readStatusTitle')} variant="drawer" testId="readers-dialog">
      <div className="stack">
        <div className="read-summary" data-testid="readers-summary">
          <strong className="read-summary-figure">
            {formatNumber(read, lang)} <span className="muted">/ {formatNumber(total, lang)}</span>
          </strong>
          <span className="muted small">{t('chat.readSummary', { percent: formatNumber(percent, lang), unread: formatNumber(Math.max(0, total - read), lang) })}</span>
          <div className="read-bar" role="progressbar" aria-valuemin={0} aria-valuemax={total} aria-valuenow={read} aria-label={t('chat.readStatusTitle')}>
            <span style={{ width: `${percent}%` }} />
          </div>
        </div>
        <div className="segmented readers-tabs" role="group" aria-label={t('chat.readStatusTitle')}>
          {(['unread', 'read'] as const).map((s) => (
            <button key={s} type="button" aria-pressed={state === s} className="segmented-item" onClick={() => setState(s)} data-testid={`readers-tab-${s}`}>
              {s === 'unread' ? t('chat.notReadYet') : t('chat.alreadyRead')}
            </button>
          ))}
        </div>
        <div className="readers-filters">
          <label className="visually-hidden" htmlFor="readers-unit">
            {t('chat.filterUnit')}
          </label>
          <select id="readers-unit" value={unit} onChange={(e) => setUnit(e.target.value)} data-testid="readers-unit">
            <option value="">{t('chat.allUnits')}</option>
            {(units.data ?? []).map((u) => (
              <option key={u.id} value={u.id}>
                {u.name}
              </option>
            ))}
          </select>
          <input type="search" value={q} onChange={(e) => setQ(e.target.value)} placeholder={t('chat.findPerson')} aria-label={t('chat.findPerson')} data-testid="readers-search" />
        </div>
        {state === 'unread' ? (
          <div className="stack-sm">
            <button
              type="button"
              className="btn btn-primary"
              onClick={() => remind.mutate()}
              disabled={remind.isPending || remindedRecently || read >= total}
              data-testid="readers-remind"
            >
              <Icon name="bell" size={16} /> {t('chat.remindUnread')}
            </button>
            {remindedAt ? (
              <span className="small muted" data-testid="readers-reminded-at">
                {t('chat.remindedAt', { time: remindedAt.toLocaleTimeString(lang === 'en' ? 'en-GB' : 'id-ID', { hour: '2-digit', minute: '2-digit', timeZone }) })}
              </span>
            ) : null}
            <FormError error={remind.error} testId="readers-remind-error" />
          </div>
        ) : null}
        {list.isError ? <p className="error-text">{errorMessage(t, list.error)}</p> : null}
        <p className="small muted" data-testid="readers-matching">
          {first ? t('chat.peopleMatching', { count: first.matching, n: formatNumber(first.matching, lang) }) : '\u00a0'}
        </p>
        <ul className="list" data-testid="readers-list">
          {people.map((p) => (
            <li key={p.user.id} className="list-row" data-testid="reader-row" data-user-id={p.user.id} data-read={p.read}>
              <PersonAvatar who={p.user} size={28} presence={false} />
              <div className="list-main min-w-0">
                <span className="truncate">{p.user.name}</span>
                <span className="small muted truncate">{p.unit?.name ?? t('chat.noUnit')}</span>
              </div>
              {p.read ? <Icon name="check" size={16} label={t('chat.alreadyRead')} /> : null}
            </li>
          ))}
        </ul>
        {list.hasNextPage ? (
          <button type="button" className="btn btn-secondary" onClick={() => void list.fetchNextPage()} disabled={list.isFetchingNextPage} data-testid="readers-more">
            {t('common.loadMore')}
          </button>
        ) : null}
      </div>
    </Dialog>
  );
}
