// The middle pane: a conversation's header, its virtualised message list, who is typing, and
// the composer (or a join / archived bar). The list holds one contiguous window of the channel
// view; older and newer pages of 50 load as the person scrolls, and opening a conversation with
// unread messages starts at the first of them under a "new messages" divider.

import { forwardRef, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Virtuoso, type VirtuosoHandle } from 'react-virtuoso';
import * as ep from '../../api/chatEndpoints';
import type { Conversation, Message } from '../../api/types';
import { Icon } from '../../components/Icon';
import { Loading, QueryError } from '../../components/Page';
import { useToast } from '../../components/Toast';
import { chatKeys, setOpenConversation, type PendingMessage } from '../../lib/chatCache';
import { errorMessage } from '../../lib/errors';
import { sameDay } from '../../lib/zonedTime';
import { conversationTitle, dmPartner, isChannel, markConversationRead, useMessageWindow, usePending, useTypers } from './chatHooks';
import { Composer } from './Composer';
import { PaneContext, useChatScope, type ComposerHandle, type Pane } from './context';
import { MessageItem, PendingItem, PersonAvatar, StatusBadge } from './MessageItem';
import { useReadCounts } from './ReadStatus';

const NO_MESSAGES: Message[] = [];
import { dayLabel, GROUP_MS } from './time';

type Row = { kind: 'msg'; m: Message } | { kind: 'pending'; p: PendingMessage };

const rowAuthor = (r: Row) => (r.kind === 'msg' ? r.m.author.id : r.p.author.id);
const rowTime = (r: Row) => (r.kind === 'msg' ? r.m.created_at : r.p.createdAt);

/** Whether `row` continues `prev`'s group: same person, same day, within five minutes. */
export function continuesGroup(prev: Row | undefined, row: Row, timeZone: string): boolean {
  if (!prev) return false;
  if (rowAuthor(prev) !== rowAuthor(row)) return false;
  if (prev.kind === 'msg' && prev.m.deleted) return false;
  if (row.kind === 'msg' && row.m.forwarded) return false;
  const a = rowTime(prev);
  const b = rowTime(row);
  return new Date(b).getTime() - new Date(a).getTime() < GROUP_MS && sameDay(a, b, timeZone);
}

/** Marks messages read as they are actually seen: on screen while the window has focus. */
export function useReadTracker(orgId: string, c: Conversation | undefined) {
  const qc = useQueryClient();
  const visible = useRef(new Set<number>());
  const sent = useRef(c?.last_read_seq ?? 0);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const observer = useRef<IntersectionObserver | null>(null);
  const cid = c?.id;
  const canMark = !!c?.is_member;
  sent.current = Math.max(sent.current, c?.last_read_seq ?? 0);

  const check = useCallback(() => {
    if (!cid || !canMark || typeof document === 'undefined') return;
    if (!document.hasFocus() || document.visibilityState !== 'visible') return;
    const max = Math.max(0, ...visible.current);
    if (max <= sent.current) return;
    sent.current = max;
    if (timer.current) clearTimeout(timer.current);
    timer.current = setTimeout(() => {
      timer.current = null;
      void markConversationRead(qc, orgId, cid, sent.current).catch(() => {
        // Not fatal: the next message seen marks read again.
      });
    }, 300);
  }, [qc, orgId, cid, canMark]);

  const checkRef = useRef(check);
  checkRef.current = check;

  useEffect(() => {
    visible.current.clear();
    sent.current = c?.last_read_seq ?? 0;
    const onFocus = () => checkRef.current();
    window.addEventListener('focus', onFocus);
    document.addEventListener('visibilitychange', onFocus);
    return () => {
      window.removeEventListener('focus', onFocus);
      document.removeEventListener('visibilitychange', onFocus);
      observer.current?.disconnect();
      observer.current = null;
      if (timer.current) clearTimeout(timer.current);
    };
    // Only when the conversation changes.
  }, [cid]);

  const observe = useCallback((el: HTMLElement) => {
    if (typeof IntersectionObserver === 'undefined') return () => {};
    observer.current ??= new IntersectionObserver(
      (entries) => {
        for (const e of entries) {
          const seq = Number((e.target as HTMLElement).dataset.seq);
          if (!seq) continue;
          const seen = e.intersectionRatio >= 0.5 || (e.isIntersecting && e.intersectionRect.height >= 80);
          if (seen) visible.current.add(seq);
          else visible.current.delete(seq);
        }
        checkRef.current();
      },
      { threshold: [0, 0.5, 1] },
    );
    const o = observer.current;
    o.observe(el);
    return () => {
      o.unobserve(el);
      visible.current.delete(Number(el.dataset.seq));
    };
  }, []);

  return observe;
}

interface ListContext {
  loadingOlder: boolean;
  atStart: boolean;
  title: string;
}

function ListHeader({ context }: { context?: ListContext }) {
  const { t } = useTranslation();
  if (!context) return null;
  if (context.loadingOlder) return <Loading />;
  if (context.atStart) {
    return (
      <div className="conv-start" data-testid="conversation-start">
        <h3>{context.title}</h3>
        <p className="muted small">{t('chat.conversationStart')}</p>
      </div>
    );
  }
  return <div className="list-spacer" />;
}

function ListFooter() {
  return <div className="list-spacer" />;
}

const LIST_COMPONENTS = { Header: ListHeader, Footer: ListFooter };

export function ConversationHeader({
  c,
  onBack,
  onSettings,
  onPins,
}: {
  c: Conversation;
  onBack: () => void;
  onSettings: () => void;
  onPins: () => void;
}) {
  const { t } = useTranslation();
  const { me } = useChatScope();
  const partner = dmPartner(c, me.id);
  const title = conversationTitle(c, me.id);
  return (
    <header className="pane-header" data-testid="conversation-header">
      <button type="button" className="btn btn-ghost btn-icon pane-back" onClick={onBack} aria-label={t('common.back')} data-testid="chat-back">
        <Icon name="arrowLeft" />
      </button>
      {partner ? (
        <PersonAvatar who={partner} size={28} presence />
      ) : isChannel(c) ? (
        <Icon name={c.kind === 'private' ? 'lock' : 'hash'} size={18} />
      ) : (
        <Icon name={c.kind === 'meeting' ? 'video' : 'users'} size={18} />
      )}
      <div className="pane-title min-w-0 grow">
        <h2 className="truncate" data-testid="conversation-title">
          {title}
          {partner ? <StatusBadge userId={partner.id} /> : null}
        </h2>
        {c.kind === 'meeting' ? (
          <p className="truncate muted small" data-testid="conversation-topic">{t('chat.meetingChat', { count: c.member_count })}</p>
        ) : c.topic ? (
          <p className="truncate muted small" data-testid="conversation-topic">{c.topic}</p>
        ) : null}
      </div>
      {c.muted ? <Icon name="bellOff" size={16} label={t('chat.muted')} /> : null}
      <button type="button" className="btn btn-ghost btn-icon" onClick={onPins} aria-label={t('chat.pinnedMessages')} title={t('chat.pinnedMessages')} data-testid="conversation-pins">
        <Icon name="pin" size={18} />
      </button>
      <button type="button" className="btn btn-ghost conv-members-btn" onClick={onSettings} aria-label={t('chat.conversationSettings')} title={t('chat.conversationSettings')} data-testid="conversation-settings">
        <Icon name={isChannel(c) ? 'users' : 'info'} size={18} />
        {isChannel(c) ? <span className="small">{c.member_count}</span> : null}
      </button>
    </header>
  );
}

export function TypingLine({ cid, threadRootId }: { cid: string; threadRootId: string | null }) {
  const { t } = useTranslation();
  const { me, person } = useChatScope();
  const typers = useTypers(cid, threadRootId, me.id);
  const names = typers.map((id) => person(id)?.name ?? t('chat.someone'));
  return (
    <div className="typing-line small muted" aria-live="polite" data-testid={threadRootId ? 'thread-typing' : 'typing-indicator'}>
      {names.length === 0
        ? ' '
        : names.length === 1
          ? t('chat.typingOne', { name: names[0] })
          : names.length === 2
            ? t('chat.typingTwo', { a: names[0], b: names[1] })
            : t('chat.typingMany', { n: names.length })}
    </div>
  );
}

interface PaneProps {
  conversation: Conversation;
  onBack: () => void;
  onSettings: () => void;
  onPins: () => void;
}

export const ConversationPane = forwardRef<HTMLDivElement, PaneProps>(function ConversationPane({ conversation: c, onBack, onSettings, onPins }, ref) {
  const { t } = useTranslation();
  const scope = useChatScope();
  const { orgId, me, timeZone, lang } = scope;
  const qc = useQueryClient();
  const toast = useToast();
  const win = useMessageWindow(orgId, c);
  const pending = usePending(c.id, null);
  const composer = useRef<ComposerHandle | null>(null);
  const virtuoso = useRef<VirtuosoHandle>(null);
  const [atBottom, setAtBottom] = useState(true);
  const observe = useReadTracker(orgId, c);
  const members = useQuery({
    queryKey: chatKeys.members(orgId, c.id),
    queryFn: () => ep.listConversationMembers(orgId, c.id),
    enabled: c.read_receipts && c.is_member,
    staleTime: 60_000,
  });

  // The divider sits where the unread run started when the conversation was opened.
  const [openedAt] = useState(() => ({ lastRead: c.last_read_seq, hadUnread: c.unread_count > 0 && c.last_read_seq < c.last_seq }));

  useEffect(() => {
    setOpenConversation(c.id);
    return () => setOpenConversation(null);
  }, [c.id]);

  const join = useMutation({
    mutationFn: () => ep.joinConversation(orgId, c.id),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: chatKeys.conversations(orgId) });
      void qc.invalidateQueries({ queryKey: chatKeys.conversation(orgId, c.id) });
    },
    onError: (e) => toast(errorMessage(t, e), 'error'),
  });

  const w = win.data;
  useReadCounts(c, w?.messages ?? NO_MESSAGES);
  const rows: Row[] = useMemo(
    () => [...(w?.messages ?? []).map((m) => ({ kind: 'msg' as const, m })), ...(w?.hasMoreAfter ? [] : pending.map((p) => ({ kind: 'pending' as const, p })))],
    [w?.messages, w?.hasMoreAfter, pending],
  );
  const firstIndex = w?.firstIndex ?? 0;

  const initialIndex = useMemo(() => {
    if (!w) return 0;
    if (openedAt.hadUnread && w.epoch === 0) {
      const i = w.messages.findIndex((m) => m.seq > openedAt.lastRead);
      if (i >= 0) return { index: i, align: 'start' as const };
    }
    // Loaded around a message to show it (a search result): start there, two messages above
    // it for context.
    if (w.focusSeq !== undefined) {
      const i = w.messages.findIndex((m) => m.seq === w.focusSeq);
      // (Near the top, the plain top: Virtuoso's own start, with no scroll to settle.)
      if (i >= 0) return i <= 2 ? 0 : { index: i - 2, align: 'start' as const };
    }
    return { index: Math.max(0, rows.length - 1), align: 'end' as const };
    // Read once when the list mounts (keyed by epoch).
  }, [w?.epoch, !!w]);

  // A window loaded around a message (a search result): keep that message on screen while the
  // rows measure themselves (the list may still move meanwhile), until the person scrolls.
  useEffect(() => {
    const seq = w?.focusSeq;
    const index = seq === undefined ? -1 : (w?.messages.findIndex((m) => m.seq === seq) ?? -1);
    if (seq === undefined || index < 0) return;
    const pane = document.querySelector(`[data-testid="conversation-pane"][data-conversation-id="${CSS.escape(c.id)}"]`);
    let stopped = false;
    const stop = () => {
      stopped = true;
    };
    const started = performance.now();
    let frame = 0;
    const tick = () => {
      if (stopped || performance.now() - started > 1500) return;
      const box = pane?.querySelector('[data-testid="virtuoso-scroller"]')?.getBoundingClientRect();
      const row = pane?.querySelector(`[data-testid="message"][data-seq="${seq}"]`)?.getBoundingClientRect();
      if (box && !(row && row.bottom > box.top && row.top < box.bottom)) {
        virtuoso.current?.scrollToIndex({ index: Math.max(0, index - 2), align: 'start' });
      }
      frame = requestAnimationFrame(tick);
    };
    frame = requestAnimationFrame(tick);
    const events = ['wheel', 'touchstart', 'keydown', 'pointerdown'] as const;
    for (const e of events) pane?.addEventListener(e, stop, { passive: true });
    return () => {
      cancelAnimationFrame(frame);
      for (const e of events) pane?.removeEventListener(e, stop);
    };
    // Once per window (a new jump bumps the epoch).
  }, [w?.epoch, c.id]);

  const scrollToEnd = useCallback(() => {
    if (w?.hasMoreAfter) void win.loadLatest();
    else virtuoso.current?.scrollToIndex({ index: 'LAST', align: 'end' });
  }, [w?.hasMoreAfter, win]);

  const lastOwnMessage = useCallback(() => {
    const list = qc.getQueryData<{ messages: Message[] }>(chatKeys.messages(orgId, c.id))?.messages ?? [];
    for (let i = list.length - 1; i >= 0; i--) {
      const m = list[i]!;
      if (m.author.id === me.id && !m.deleted && !m.thread_root_id) return m;
    }
    return undefined;
  }, [qc, orgId, c.id, me.id]);

  const pane: Pane = useMemo(
    () => ({ conversation: c, threadRootId: null, composer, observe, members: members.data }),
    [c, observe, members.data],
  );

  const title = conversationTitle(c, me.id);
  const itemContent = (index: number, row: Row) => {
    const prev = rows[index - firstIndex - 1];
    const newDivider =
      openedAt.hadUnread &&
      row.kind === 'msg' &&
      row.m.seq > openedAt.lastRead &&
      row.m.author.id !== me.id &&
      (!prev || (prev.kind === 'msg' && prev.m.seq <= openedAt.lastRead));
    const newDay = !prev || !sameDay(rowTime(prev), rowTime(row), timeZone);
    const divider =
      newDay || newDivider ? (
        <>
          {newDay ? (
            <div className="day-divider" role="separator">
              <span>{dayLabel(rowTime(row), timeZone, lang, t)}</span>
            </div>
          ) : null}
          {newDivider ? (
            <div className="new-divider" role="separator" data-testid="new-messages-divider">
              <span>{t('chat.newMessages')}</span>
            </div>
          ) : null}
        </>
      ) : null;
    const compact = !divider && continuesGroup(prev, row, timeZone);
    if (row.kind === 'pending') return <PendingItem p={row.p} compact={compact} />;
    return <MessageItem m={row.m} compact={compact} divider={divider} />;
  };

  const writable = c.is_member && !c.archived;
  // Announcement mode: members reply in threads and react, but do not start messages.
  const mayStart = !c.announcement || scope.isOrgAdmin || c.my_role === 'owner' || c.my_role === 'poster';

  return (
    <PaneContext.Provider value={pane}>
      <section className="chat-pane conversation-pane" ref={ref} aria-label={title} data-testid="conversation-pane" data-conversation-id={c.id}>
        <ConversationHeader c={c} onBack={onBack} onSettings={onSettings} onPins={onPins} />
        <div className="message-list" data-testid="message-list">
          {win.isPending ? (
            <Loading />
          ) : win.isError ? (
            <div className="padded">
              <QueryError error={win.error} onRetry={() => void win.refetch()} />
            </div>
          ) : (
            <Virtuoso
              key={`${c.id}:${w?.epoch ?? 0}`}
              ref={virtuoso}
              className="virtuoso"
              data={rows}
              firstItemIndex={firstIndex}
              initialTopMostItemIndex={initialIndex}
              // The client_key, not the id: a sent message keeps the row its pending copy had.
              computeItemKey={(_, row) => (row.kind === 'msg' ? row.m.client_key || row.m.id : row.p.request.client_key)}
              itemContent={itemContent}
              context={{ loadingOlder: win.loading === 'older', atStart: !w?.hasMoreBefore, title }}
              components={LIST_COMPONENTS}
              startReached={() => void win.loadOlder()}
              endReached={() => void win.loadNewer()}
              followOutput={(bottom) => (bottom && !w?.hasMoreAfter ? 'smooth' : false)}
              atBottomStateChange={setAtBottom}
              atBottomThreshold={80}
              increaseViewportBy={{ top: 600, bottom: 400 }}
            />
          )}
          {!atBottom || w?.hasMoreAfter ? (
            <button type="button" className="jump-latest btn btn-secondary btn-sm" onClick={scrollToEnd} data-testid="jump-latest">
              <Icon name="chevronDown" size={16} /> {t('chat.jumpToLatest')}
            </button>
          ) : null}
        </div>
        <TypingLine cid={c.id} threadRootId={null} />
        {writable && !mayStart ? (
          <div className="composer-bar announcement-bar" data-testid="announcement-only">
            <Icon name="bell" size={18} /> <span className="grow">{t('chat.announcementOnly')}</span>
          </div>
        ) : writable ? (
          <Composer
            ref={composer}
            conversation={c}
            threadRootId={null}
            lastOwnMessage={lastOwnMessage}
            onSent={scrollToEnd}
            placeholder={isChannel(c) ? t('chat.messageChannel', { name: c.name }) : t('chat.messagePerson', { name: title })}
          />
        ) : c.archived ? (
          <div className="composer-bar" data-testid="conversation-archived">
            <Icon name="archive" size={18} /> {t('chat.archivedNotice')}
          </div>
        ) : (
          <div className="composer-bar">
            <span className="grow">{t('chat.notMemberNotice', { name: c.name })}</span>
            <button type="button" className="btn btn-primary" onClick={() => join.mutate()} disabled={join.isPending} data-testid="conversation-join">
              {t('chat.join')}
            </button>
          </div>
        )}
      </section>
    </PaneContext.Provider>
  );
});
