// Obrolan — the chat screen (lazily loaded). Routes: /o/:org/chat (list), /chat/:cid
// (conversation), /chat/:cid/thread/:mid (thread). On desktop the sidebar, conversation and
// thread stand side by side; on phones one pane shows at a time and Back walks up the route.

import { useCallback, useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate, useParams, useSearchParams } from 'react-router';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import * as ep from '../../api/chatEndpoints';
import type { Attachment, Message, UserRef } from '../../api/types';
import { ConfirmDialog } from '../../components/Dialog';
import { FormError } from '../../components/FormError';
import { Icon } from '../../components/Icon';
import { EmptyState, Loading, QueryError } from '../../components/Page';
import { useLanguage } from '../../i18n';
import { isAdmin } from '../../lib/roles';
import { useOrgScope } from '../../shell/OrgContext';
import { orgPath } from '../../shell/nav';
import { updateMessage, useConversation, useConversations, useOrgPeople, usePresence } from './chatHooks';
import { ChatScopeContext, ChatUiContext, type ChatScope, type ChatUi } from './context';
import { ConversationList } from './ConversationList';
import { ConversationPane } from './ConversationPane';
import { ConversationSettings } from './ConversationSettings';
import {
  BrowseChannelsDialog,
  EditHistoryDialog,
  ForwardDialog,
  Lightbox,
  NewChannelDialog,
  NewMessageDialog,
  PinnedDialog,
  QuickSwitcher,
  ScheduledDialog,
} from './dialogs';
import { SearchPane } from './SearchPane';
import { StatusDialog } from './StatusDialog';
import { ThreadPane } from './ThreadPane';

/** `cid` or `cid/thread/mid` → the ids (anything else is ignored). */
export function parseChatPath(rest: string): { conversationId?: string; messageId?: string } {
  const [cid, thread, mid] = rest.split('/').filter(Boolean).map(decodeURIComponent);
  return { conversationId: cid, messageId: thread === 'thread' ? mid : undefined };
}

type DialogName = 'newChannel' | 'browse' | 'newMessage' | 'scheduled' | 'status' | 'switcher' | 'settings' | 'pins' | null;

export default function ChatPage() {
  const { t } = useTranslation();
  const { orgId, membership, me } = useOrgScope();
  // One route (`chat/*`) so that opening a thread does not remount the conversation.
  const { conversationId, messageId } = parseChatPath(useParams()['*'] ?? '');
  const navigate = useNavigate();
  // `?q=…`: the search pane is open (in the conversation's place) with this query.
  const searchQuery = useSearchParams()[0].get('q');
  const qc = useQueryClient();
  const lang = useLanguage();
  const basePath = orgPath(orgId, 'chat');
  const conversations = useConversations(orgId);
  const { conversation, isPending: convPending, error: convError } = useConversation(orgId, conversationId);
  const canParticipate = membership.role !== 'guest';
  const people = useOrgPeople(orgId, canParticipate);

  const [dialog, setDialog] = useState<DialogName>(null);
  const [forwarding, setForwarding] = useState<Message | null>(null);
  const [history, setHistory] = useState<Message | null>(null);
  const [deleting, setDeleting] = useState<Message | null>(null);
  const [lightbox, setLightbox] = useState<Attachment | null>(null);

  useEffect(() => {
    document.title = `${t('chat.title')} · Kantor`;
  }, [t]);

  // Ctrl/Cmd+K: the quick switcher, from anywhere on the chat screen.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'k') {
        e.preventDefault();
        setDialog('switcher');
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const openSearch = useCallback(
    (q: string, replace = false) => navigate(`${basePath}?q=${encodeURIComponent(q)}`, { replace }),
    [navigate, basePath],
  );

  // `/`: search, from anywhere on the chat screen but a text field.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement | null;
      const typing = !!target && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));
      if (e.key === '/' && !typing && !e.ctrlKey && !e.metaKey && !e.altKey) {
        e.preventDefault();
        openSearch(searchQuery ?? '');
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [openSearch, searchQuery]);

  const directory = useMemo(() => {
    const map = new Map<string, UserRef>();
    for (const m of people.data?.items ?? []) map.set(m.id, { id: m.id, name: m.name, avatar_url: m.avatar_url });
    for (const c of conversations.data ?? []) for (const u of c.members) if (!map.has(u.id)) map.set(u.id, u);
    return map;
  }, [people.data, conversations.data]);

  // Presence is pushed only for watched people: everyone the screen may show with a dot.
  const watch = useMemo(() => [...directory.keys(), me.user.id], [directory, me.user.id]);
  const presence = usePresence(orgId, watch);

  const meRef: UserRef = useMemo(() => ({ id: me.user.id, name: me.user.name, avatar_url: me.user.avatar_url }), [me.user]);
  const scope: ChatScope = useMemo(
    () => ({
      orgId,
      me: meRef,
      timeZone: me.user.time_zone,
      lang,
      isOrgAdmin: isAdmin(membership.role),
      canParticipate,
      person: (id) => directory.get(id) ?? (id === meRef.id ? meRef : undefined),
      presence,
      basePath,
    }),
    [orgId, meRef, me.user.time_zone, lang, membership.role, canParticipate, directory, presence, basePath],
  );

  const openThread = useCallback(
    (rootId: string) => {
      if (conversationId) navigate(`${basePath}/${encodeURIComponent(conversationId)}/thread/${encodeURIComponent(rootId)}`);
    },
    [navigate, basePath, conversationId],
  );
  const ui: ChatUi = useMemo(
    () => ({ forward: setForwarding, history: setHistory, confirmDelete: setDeleting, lightbox: setLightbox, openThread }),
    [openThread],
  );

  const remove = useMutation({
    mutationFn: (m: Message) => ep.deleteMessage(orgId, m.conversation_id, m.id),
    onSuccess: (_, m) => {
      updateMessage(qc, orgId, { ...m, deleted: true, body: '', attachments: [], reactions: [] });
      setDeleting(null);
    },
  });

  const pane = messageId ? 'thread' : conversationId ? 'conversation' : searchQuery !== null ? 'search' : 'list';

  return (
    <ChatScopeContext.Provider value={scope}>
      <ChatUiContext.Provider value={ui}>
        <div className={`chat${messageId ? ' chat-with-thread' : ''}`} data-pane={pane} data-testid="chat">
          {conversations.isPending ? (
            <div className="chat-pane chat-sidebar">
              <Loading />
            </div>
          ) : conversations.isError ? (
            <div className="chat-pane chat-sidebar padded">
              <QueryError error={conversations.error} onRetry={() => void conversations.refetch()} />
            </div>
          ) : (
            <ConversationList
              conversations={conversations.data}
              onNewChannel={() => setDialog('newChannel')}
              onBrowse={() => setDialog('browse')}
              onNewMessage={() => setDialog('newMessage')}
              onScheduled={() => setDialog('scheduled')}
              onStatus={() => setDialog('status')}
              onSwitcher={() => setDialog('switcher')}
              onSearch={() => openSearch(searchQuery ?? '')}
              myStatus={me.chat_status}
            />
          )}

          {conversationId ? (
            conversation ? (
              <ConversationPane
                key={conversation.id}
                conversation={conversation}
                onBack={() => navigate(basePath)}
                onSettings={() => setDialog('settings')}
                onPins={() => setDialog('pins')}
              />
            ) : convPending ? (
              <div className="chat-pane conversation-pane">
                <Loading />
              </div>
            ) : (
              <div className="chat-pane conversation-pane padded">
                <QueryError error={convError} />
              </div>
            )
          ) : searchQuery !== null ? (
            <SearchPane query={searchQuery} onQuery={(q) => openSearch(q, true)} onClose={() => navigate(basePath)} />
          ) : (
            <div className="chat-pane conversation-pane chat-empty">
              <EmptyState>
                <Icon name="chat" size={40} />
                <p>{t('chat.pickConversation')}</p>
              </EmptyState>
            </div>
          )}

          {conversation && messageId ? (
            <ThreadPane key={messageId} conversation={conversation} rootId={messageId} onClose={() => navigate(`${basePath}/${encodeURIComponent(conversation.id)}`)} />
          ) : null}
        </div>

        <NewChannelDialog open={dialog === 'newChannel'} onClose={() => setDialog(null)} />
        <BrowseChannelsDialog open={dialog === 'browse'} onClose={() => setDialog(null)} />
        <NewMessageDialog open={dialog === 'newMessage'} onClose={() => setDialog(null)} />
        <ScheduledDialog open={dialog === 'scheduled'} onClose={() => setDialog(null)} conversations={conversations.data ?? []} />
        <StatusDialog open={dialog === 'status'} onClose={() => setDialog(null)} current={me.chat_status} />
        <QuickSwitcher open={dialog === 'switcher'} onClose={() => setDialog(null)} conversations={conversations.data ?? []} />
        {conversation ? <ConversationSettings conversation={conversation} open={dialog === 'settings'} onClose={() => setDialog(null)} /> : null}
        <PinnedDialog conversation={conversation} open={dialog === 'pins'} onClose={() => setDialog(null)} />
        <ForwardDialog message={forwarding} conversations={conversations.data ?? []} onClose={() => setForwarding(null)} />
        <EditHistoryDialog message={history} onClose={() => setHistory(null)} />
        <Lightbox attachment={lightbox} onClose={() => setLightbox(null)} />
        <ConfirmDialog
          open={!!deleting}
          message={t('chat.confirmDelete')}
          confirmLabel={t('chat.deleteMessage')}
          danger
          busy={remove.isPending}
          onConfirm={() => deleting && remove.mutate(deleting)}
          onCancel={() => {
            setDeleting(null);
            remove.reset();
          }}
          error={<FormError error={remove.error} testId="delete-error" />}
        />
      </ChatUiContext.Provider>
    </ChatScopeContext.Provider>
  );
}
