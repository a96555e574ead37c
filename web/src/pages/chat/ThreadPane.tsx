// The right-hand pane (full screen on phones): a thread's root message, its replies and a
// composer with "also send to channel". Threads are short, so the list is not virtualised.

import { useCallback, useEffect, useMemo, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { useQuery } from '@tanstack/react-query';
import * as ep from '../../api/chatEndpoints';
import type { Conversation } from '../../api/types';
import { Icon } from '../../components/Icon';
import { Loading, QueryError } from '../../components/Page';
import { chatKeys } from '../../lib/chatCache';
import { usePending } from './chatHooks';
import { Composer } from './Composer';
import { PaneContext, useChatScope, type ComposerHandle, type Pane } from './context';
import { continuesGroup, TypingLine } from './ConversationPane';
import { MessageItem, PendingItem } from './MessageItem';

const noObserve = () => () => {};

export function ThreadPane({ conversation: c, rootId, onClose }: { conversation: Conversation; rootId: string; onClose: () => void }) {
  const { t } = useTranslation();
  const { orgId, me, timeZone } = useChatScope();
  const composer = useRef<ComposerHandle | null>(null);
  const scroller = useRef<HTMLDivElement>(null);
  const thread = useQuery({
    queryKey: chatKeys.thread(orgId, rootId),
    queryFn: () => ep.getThread(orgId, c.id, rootId),
    staleTime: Infinity, // kept current by realtime events
  });
  const members = useQuery({
    queryKey: chatKeys.members(orgId, c.id),
    queryFn: () => ep.listConversationMembers(orgId, c.id),
    enabled: c.read_receipts && c.is_member,
    staleTime: 60_000,
  });
  const pending = usePending(c.id, rootId);
  const pane: Pane = useMemo(
    () => ({ conversation: c, threadRootId: rootId, composer, observe: noObserve, members: members.data }),
    [c, rootId, members.data],
  );
  const replies = thread.data?.replies;
  const count = (replies?.length ?? 0) + pending.length;

  // Follow the conversation: new replies scroll into view.
  useEffect(() => {
    const el = scroller.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [count]);

  const lastOwnMessage = useCallback(() => {
    const list = replies ?? [];
    for (let i = list.length - 1; i >= 0; i--) if (list[i]!.author.id === me.id && !list[i]!.deleted) return list[i];
    return undefined;
  }, [replies, me.id]);

  const rows = [
    ...(replies ?? []).map((m) => ({ kind: 'msg' as const, m })),
    ...pending.map((p) => ({ kind: 'pending' as const, p })),
  ];

  return (
    <PaneContext.Provider value={pane}>
      <section className="chat-pane thread-pane" aria-label={t('chat.thread')} data-testid="thread-pane" data-root-id={rootId}>
        <header className="pane-header">
          <button type="button" className="btn btn-ghost btn-icon pane-back" onClick={onClose} aria-label={t('common.back')} data-testid="thread-back">
            <Icon name="arrowLeft" />
          </button>
          <h2 className="grow">{t('chat.thread')}</h2>
          <button type="button" className="btn btn-ghost btn-icon thread-close" onClick={onClose} aria-label={t('chat.closeThread')} data-testid="thread-close">
            <Icon name="close" />
          </button>
        </header>
        <div className="thread-scroll" ref={scroller}>
          {thread.isPending ? (
            <Loading />
          ) : thread.isError ? (
            <div className="padded">
              <QueryError error={thread.error} onRetry={() => void thread.refetch()} />
            </div>
          ) : (
            <>
              <div className="thread-root" data-testid="thread-root">
                <MessageItem m={thread.data.root} compact={false} inThread />
              </div>
              <div className="thread-count small muted" role="separator">
                <span>{t('chat.replies', { count: replies?.length ?? 0 })}</span>
              </div>
              <div data-testid="thread-replies">
                {rows.map((row, i) => {
                  const compact = continuesGroup(rows[i - 1], row, timeZone);
                  return row.kind === 'msg' ? (
                    <MessageItem key={row.m.id} m={row.m} compact={compact} inThread />
                  ) : (
                    <PendingItem key={row.p.request.client_key} p={row.p} compact={compact} />
                  );
                })}
              </div>
            </>
          )}
        </div>
        <TypingLine cid={c.id} threadRootId={rootId} />
        {c.is_member && !c.archived && thread.data && !thread.data.root.deleted ? (
          <Composer ref={composer} conversation={c} threadRootId={rootId} lastOwnMessage={lastOwnMessage} placeholder={t('chat.replyPlaceholder')} />
        ) : null}
      </section>
    </PaneContext.Provider>
  );
}
