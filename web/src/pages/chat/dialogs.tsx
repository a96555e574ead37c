// The chat's dialogs: new channel, browse channels, new message (DM / group), forward, edit
// history, pinned messages, scheduled messages, the quick switcher (Ctrl/Cmd+K) and the image
// lightbox. Conversation settings and the status dialog have their own files.

import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import * as ep from '../../api/chatEndpoints';
import type { Attachment, Conversation, ConversationKind, Message, UserRef } from '../../api/types';
import { Dialog } from '../../components/Dialog';
import { Field } from '../../components/Field';
import { FormError } from '../../components/FormError';
import { Icon } from '../../components/Icon';
import { EmptyState, Loading, QueryError } from '../../components/Page';
import { useToast } from '../../components/Toast';
import { chatKeys } from '../../lib/chatCache';
import { errorMessage } from '../../lib/errors';
import { formatDateTime, formatNumber } from '../../lib/format';
import { plainPreview } from '../../lib/markdown';
import { conversationTitle, deliver, isChannel, makePending, updateMessage } from './chatHooks';
import { useChatScope } from './context';
import { MemberPicker } from './MemberPicker';
import { MessageBody } from './MessageBody';

function useOpenConversation() {
  const navigate = useNavigate();
  const { basePath } = useChatScope();
  return (cid: string) => navigate(`${basePath}/${encodeURIComponent(cid)}`);
}

/** Puts a conversation the caller just created or joined into the sidebar cache at once. */
function useRememberConversation() {
  const qc = useQueryClient();
  const { orgId } = useChatScope();
  return (c: Conversation) => {
    qc.setQueryData<Conversation[]>(chatKeys.conversations(orgId), (list) =>
      list ? (list.some((x) => x.id === c.id) ? list.map((x) => (x.id === c.id ? c : x)) : [c, ...list]) : list,
    );
    void qc.invalidateQueries({ queryKey: chatKeys.conversations(orgId) });
  };
}

export function NewChannelDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const { orgId, isOrgAdmin } = useChatScope();
  const openConversation = useOpenConversation();
  const remember = useRememberConversation();
  const [name, setName] = useState('');
  const [kind, setKind] = useState<'public' | 'private'>('public');
  const [topic, setTopic] = useState('');
  const [description, setDescription] = useState('');
  const [orgWide, setOrgWide] = useState(false);
  const [announcement, setAnnouncement] = useState(false);
  const create = useMutation({
    mutationFn: () =>
      ep.createConversation(orgId, {
        kind,
        name: name.trim(),
        topic: topic.trim() || undefined,
        description: description.trim() || undefined,
        org_wide: orgWide,
        announcement,
      }),
    onSuccess: (c) => {
      remember(c);
      onClose();
      setName('');
      setTopic('');
      setDescription('');
      setOrgWide(false);
      setAnnouncement(false);
      openConversation(c.id);
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  const preview = name.trim().toLowerCase().replace(/\s+/g, '-');
  return (
    <Dialog open={open} onClose={onClose} title={t('chat.newChannel')} testId="new-channel-dialog">
      <form className="stack" onSubmit={submit}>
        <Field label={t('chat.channelName')} hint={preview ? `#${preview}` : t('chat.channelNameHint')}>
          <input type="text" value={name} onChange={(e) => setName(e.target.value)} maxLength={80} required data-testid="new-channel-name" autoFocus />
        </Field>
        <fieldset className="stack-sm plain-fieldset">
          <legend className="small muted">{t('chat.channelVisibility')}</legend>
          <label className="checkbox">
            <input type="radio" name="kind" checked={kind === 'public'} onChange={() => setKind('public')} data-testid="new-channel-public" />
            <span>
              <strong>{t('chat.kindPublic')}</strong> — <span className="muted">{t('chat.kindPublicHint')}</span>
            </span>
          </label>
          <label className="checkbox">
            <input type="radio" name="kind" checked={kind === 'private'} onChange={() => setKind('private')} data-testid="new-channel-private" />
            <span>
              <strong>{t('chat.kindPrivate')}</strong> — <span className="muted">{t('chat.kindPrivateHint')}</span>
            </span>
          </label>
        </fieldset>
        <fieldset className="stack-sm plain-fieldset">
          <legend className="small muted">{t('chat.groupRules')}</legend>
          {isOrgAdmin ? (
            <label className="checkbox">
              <input type="checkbox" checked={orgWide} onChange={(e) => setOrgWide(e.target.checked)} data-testid="new-channel-org-wide" />
              <span>
                <strong>{t('chat.orgWide')}</strong> — <span className="muted">{t('chat.orgWideHint')}</span>
              </span>
            </label>
          ) : null}
          <label className="checkbox">
            <input type="checkbox" checked={announcement} onChange={(e) => setAnnouncement(e.target.checked)} data-testid="new-channel-announcement" />
            <span>
              <strong>{t('chat.announcementMode')}</strong> — <span className="muted">{t('chat.announcementModeHint')}</span>
            </span>
          </label>
        </fieldset>
        <Field label={t('chat.topic')} optional optionalLabel={t('common.optional')}>
          <input type="text" value={topic} onChange={(e) => setTopic(e.target.value)} maxLength={250} data-testid="new-channel-topic" />
        </Field>
        <Field label={t('chat.description')} optional optionalLabel={t('common.optional')}>
          <textarea value={description} onChange={(e) => setDescription(e.target.value)} rows={3} maxLength={1000} data-testid="new-channel-description" />
        </Field>
        <FormError error={create.error} testId="new-channel-error" />
        <div className="form-actions">
          <button type="button" className="btn btn-secondary" onClick={onClose}>
            {t('common.cancel')}
          </button>
          <button type="submit" className="btn btn-primary" disabled={create.isPending || !name.trim()} data-testid="new-channel-submit">
            {t('chat.createChannel')}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

export function BrowseChannelsDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const { orgId, lang } = useChatScope();
  const [q, setQ] = useState('');
  const openConversation = useOpenConversation();
  const remember = useRememberConversation();
  const toast = useToast();
  const channels = useQuery({
    queryKey: chatKeys.channels(orgId, q.trim()),
    queryFn: () => ep.listChannels(orgId, q.trim() || undefined),
    enabled: open,
    placeholderData: (prev) => prev,
  });
  const join = useMutation({
    mutationFn: (cid: string) => ep.joinConversation(orgId, cid),
    onSuccess: (c) => {
      remember(c);
      onClose();
      openConversation(c.id);
    },
    onError: (e) => toast(errorMessage(t, e), 'error'),
  });
  return (
    <Dialog open={open} onClose={onClose} title={t('chat.browseChannels')} testId="browse-channels-dialog">
      <div className="stack">
        <div className="search-input">
          <Icon name="search" size={18} />
          <input type="search" value={q} onChange={(e) => setQ(e.target.value)} placeholder={t('chat.searchChannels')} aria-label={t('chat.searchChannels')} data-testid="browse-channels-search" autoFocus />
        </div>
        {channels.isPending ? (
          <Loading />
        ) : channels.isError ? (
          <QueryError error={channels.error} onRetry={() => void channels.refetch()} />
        ) : channels.data.length === 0 ? (
          <EmptyState>{t('chat.noChannels')}</EmptyState>
        ) : (
          <ul className="list">
            {channels.data.map((c) => (
              <li key={c.id} className="list-row" data-testid="browse-channel-row" data-conversation-id={c.id}>
                <div className="list-main min-w-0">
                  <strong className="truncate">#{c.name}</strong>
                  <span className="small muted truncate">
                    {t('chat.memberCount', { count: c.member_count, n: formatNumber(c.member_count, lang) })}
                    {c.topic ? ` · ${c.topic}` : ''}
                  </span>
                </div>
                {c.is_member ? (
                  <button type="button" className="btn btn-secondary btn-sm" onClick={() => { onClose(); openConversation(c.id); }} data-testid="browse-channel-open">
                    {t('chat.open')}
                  </button>
                ) : (
                  <button type="button" className="btn btn-primary btn-sm" onClick={() => join.mutate(c.id)} disabled={join.isPending} data-testid="browse-channel-join">
                    {t('chat.join')}
                  </button>
                )}
              </li>
            ))}
          </ul>
        )}
      </div>
    </Dialog>
  );
}

export function NewMessageDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const { orgId } = useChatScope();
  const [people, setPeople] = useState<UserRef[]>([]);
  const openConversation = useOpenConversation();
  const remember = useRememberConversation();
  const create = useMutation({
    mutationFn: () => {
      const kind: ConversationKind = people.length === 1 ? 'dm' : 'group';
      return ep.createConversation(orgId, { kind, member_ids: people.map((p) => p.id) });
    },
    onSuccess: (c) => {
      remember(c);
      onClose();
      setPeople([]);
      openConversation(c.id);
    },
  });
  return (
    <Dialog
      open={open}
      onClose={onClose}
      title={t('chat.newMessage')}
      testId="new-dm-dialog"
      footer={
        <>
          <button type="button" className="btn btn-secondary" onClick={onClose}>
            {t('common.cancel')}
          </button>
          <button type="button" className="btn btn-primary" disabled={!people.length || create.isPending} onClick={() => create.mutate()} data-testid="new-dm-submit">
            {people.length > 1 ? t('chat.startGroup', { n: people.length }) : t('chat.startDm')}
          </button>
        </>
      }
    >
      <div className="stack">
        <p className="small muted">{t('chat.newMessageHint')}</p>
        {open ? <MemberPicker selected={people} onChange={setPeople} max={8} testId="new-dm-picker" /> : null}
        <FormError error={create.error} testId="new-dm-error" />
      </div>
    </Dialog>
  );
}

export function ForwardDialog({ message, conversations, onClose }: { message: Message | null; conversations: Conversation[]; onClose: () => void }) {
  const { t } = useTranslation();
  const { orgId, me } = useChatScope();
  const qc = useQueryClient();
  const toast = useToast();
  const [q, setQ] = useState('');
  const [target, setTarget] = useState<string | null>(null);
  const [comment, setComment] = useState('');
  useEffect(() => {
    setTarget(null);
    setComment('');
    setQ('');
  }, [message]);
  const options = conversations.filter((c) => !c.archived && c.is_member && conversationTitle(c, me.id).toLowerCase().includes(q.toLowerCase()));
  const send = () => {
    if (!message || !target) return;
    const p = makePending({ orgId, conversationId: target, author: me, body: comment.trim(), forwardOf: message.id });
    void deliver(qc, p);
    const c = conversations.find((x) => x.id === target);
    toast(t('chat.forwardedTo', { name: c ? conversationTitle(c, me.id) : '' }));
    onClose();
  };
  return (
    <Dialog
      open={!!message}
      onClose={onClose}
      title={t('chat.forward')}
      testId="forward-dialog"
      footer={
        <>
          <button type="button" className="btn btn-secondary" onClick={onClose}>
            {t('common.cancel')}
          </button>
          <button type="button" className="btn btn-primary" disabled={!target} onClick={send} data-testid="forward-submit">
            {t('chat.forward')}
          </button>
        </>
      }
    >
      <div className="stack">
        <div className="search-input">
          <Icon name="search" size={18} />
          <input type="search" value={q} onChange={(e) => setQ(e.target.value)} placeholder={t('chat.searchConversations')} aria-label={t('chat.searchConversations')} data-testid="forward-search" />
        </div>
        <ul className="picker-list">
          {options.map((c) => (
            <li key={c.id}>
              <button type="button" className={`picker-row${target === c.id ? ' selected' : ''}`} aria-pressed={target === c.id} onClick={() => setTarget(c.id)} data-testid="forward-option" data-conversation-id={c.id}>
                <Icon name={isChannel(c) ? (c.kind === 'private' ? 'lock' : 'hash') : 'user'} size={16} />
                <span className="grow truncate">{conversationTitle(c, me.id)}</span>
                {target === c.id ? <Icon name="check" size={18} /> : null}
              </button>
            </li>
          ))}
        </ul>
        <Field label={t('chat.forwardComment')} optional optionalLabel={t('common.optional')}>
          <textarea rows={2} value={comment} onChange={(e) => setComment(e.target.value)} maxLength={8000} data-testid="forward-comment" />
        </Field>
      </div>
    </Dialog>
  );
}

export function EditHistoryDialog({ message, onClose }: { message: Message | null; onClose: () => void }) {
  const { t } = useTranslation();
  const { orgId, timeZone, lang, me, person } = useChatScope();
  const edits = useQuery({
    queryKey: chatKeys.edits(orgId, message?.id ?? ''),
    queryFn: () => ep.listEdits(orgId, message!.conversation_id, message!.id),
    enabled: !!message,
  });
  const ctx = { mentions: message?.mentions ?? [], nameOf: (id: string) => person(id)?.name, meId: me.id };
  return (
    <Dialog open={!!message} onClose={onClose} title={t('chat.editHistory')} testId="edit-history-dialog">
      {message ? (
        <div className="stack">
          <div className="history-entry history-current">
            <div className="small muted">
              {t('chat.currentVersion')} · {message.edited_at ? formatDateTime(message.edited_at, timeZone, lang) : ''}
            </div>
            <MessageBody body={message.body} ctx={ctx} />
          </div>
          {edits.isPending ? (
            <Loading />
          ) : edits.isError ? (
            <QueryError error={edits.error} onRetry={() => void edits.refetch()} />
          ) : (
            edits.data.map((e, i) => (
              <div key={i} className="history-entry" data-testid="edit-history-entry">
                <div className="small muted">{t('chat.editedAt', { when: formatDateTime(e.edited_at, timeZone, lang) })}</div>
                <MessageBody body={e.body} ctx={ctx} />
              </div>
            ))
          )}
        </div>
      ) : null}
    </Dialog>
  );
}

export function PinnedDialog({ conversation, open, onClose }: { conversation: Conversation | undefined; open: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const { orgId, timeZone, lang, person } = useChatScope();
  const qc = useQueryClient();
  const toast = useToast();
  const pins = useQuery({
    queryKey: chatKeys.pins(orgId, conversation?.id ?? ''),
    queryFn: () => ep.listPins(orgId, conversation!.id),
    enabled: open && !!conversation,
  });
  const unpin = useMutation({
    mutationFn: (m: Message) => ep.unpinMessage(orgId, m.conversation_id, m.id),
    onSuccess: (m) => {
      updateMessage(qc, orgId, m);
      void qc.invalidateQueries({ queryKey: chatKeys.pins(orgId, m.conversation_id) });
    },
    onError: (e) => toast(errorMessage(t, e), 'error'),
  });
  return (
    <Dialog open={open} onClose={onClose} title={t('chat.pinnedMessages')} variant="drawer" testId="pins-dialog">
      {pins.isPending ? (
        <Loading />
      ) : pins.isError ? (
        <QueryError error={pins.error} onRetry={() => void pins.refetch()} />
      ) : pins.data.length === 0 ? (
        <EmptyState>{t('chat.noPins')}</EmptyState>
      ) : (
        <ul className="list">
          {pins.data.map((m) => (
            <li key={m.id} className="list-row pin-row" data-testid="pin-row" data-message-id={m.id}>
              <div className="list-main min-w-0">
                <strong>{m.author.name}</strong>
                <span className="small muted">{formatDateTime(m.created_at, timeZone, lang)}</span>
                <span className="pin-body">{plainPreview(m.body, (id) => person(id)?.name) || t('chat.attachmentOnly')}</span>
              </div>
              {conversation?.is_member ? (
                <button type="button" className="btn btn-ghost btn-sm" onClick={() => unpin.mutate(m)} data-testid="pin-remove">
                  {t('chat.unpin')}
                </button>
              ) : null}
            </li>
          ))}
        </ul>
      )}
    </Dialog>
  );
}

export function ScheduledDialog({ open, onClose, conversations }: { open: boolean; onClose: () => void; conversations: Conversation[] }) {
  const { t } = useTranslation();
  const { orgId, timeZone, lang, me, person } = useChatScope();
  const qc = useQueryClient();
  const toast = useToast();
  const list = useQuery({ queryKey: chatKeys.scheduled(orgId), queryFn: () => ep.listScheduled(orgId), enabled: open });
  const cancel = useMutation({
    mutationFn: (id: string) => ep.cancelScheduled(orgId, id),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: chatKeys.scheduled(orgId) });
      toast(t('chat.scheduleCancelled'));
    },
    onError: (e) => toast(errorMessage(t, e), 'error'),
  });
  const titleOf = (cid: string) => {
    const c = conversations.find((x) => x.id === cid);
    if (!c) return t('chat.someConversation');
    return isChannel(c) ? `#${conversationTitle(c, me.id)}` : conversationTitle(c, me.id);
  };
  return (
    <Dialog open={open} onClose={onClose} title={t('chat.scheduledMessages')} variant="drawer" testId="scheduled-dialog">
      {list.isPending ? (
        <Loading />
      ) : list.isError ? (
        <QueryError error={list.error} onRetry={() => void list.refetch()} />
      ) : list.data.length === 0 ? (
        <EmptyState>{t('chat.noScheduled')}</EmptyState>
      ) : (
        <ul className="list">
          {list.data.map((s) => (
            <li key={s.id} className="list-row" data-testid="scheduled-row" data-scheduled-id={s.id}>
              <div className="list-main min-w-0">
                <strong className="truncate">{titleOf(s.conversation_id)}</strong>
                <span className="small muted">{t('chat.sendsAt', { when: formatDateTime(s.send_at, timeZone, lang) })}</span>
                <span className="pin-body">{plainPreview(s.body, (id) => person(id)?.name)}</span>
              </div>
              <button type="button" className="btn btn-danger-outline btn-sm" onClick={() => cancel.mutate(s.id)} disabled={cancel.isPending} data-testid="scheduled-cancel">
                {t('chat.cancelSchedule')}
              </button>
            </li>
          ))}
        </ul>
      )}
    </Dialog>
  );
}

export function QuickSwitcher({ open, onClose, conversations }: { open: boolean; onClose: () => void; conversations: Conversation[] }) {
  const { t } = useTranslation();
  const { me, lang } = useChatScope();
  const [q, setQ] = useState('');
  const [active, setActive] = useState(0);
  const openConversation = useOpenConversation();
  const matches = useMemo(() => {
    const needle = q.trim().toLowerCase();
    const scored = conversations
      .map((c) => ({ c, title: conversationTitle(c, me.id) }))
      .filter((x) => !needle || x.title.toLowerCase().includes(needle));
    // Unread first when nothing is typed; otherwise names that start with the text first.
    scored.sort((a, b) =>
      needle
        ? Number(!a.title.toLowerCase().startsWith(needle)) - Number(!b.title.toLowerCase().startsWith(needle))
        : Number(b.c.unread_count > 0) - Number(a.c.unread_count > 0),
    );
    return scored.slice(0, 12);
  }, [q, conversations, me.id]);
  useEffect(() => {
    if (open) {
      setQ('');
      setActive(0);
    }
  }, [open]);
  useEffect(() => setActive(0), [q]);
  const go = (cid: string) => {
    onClose();
    openConversation(cid);
  };
  return (
    <Dialog open={open} onClose={onClose} title={t('chat.quickSwitcher')} testId="quick-switcher">
      <div className="stack-sm">
        <input
          type="search"
          value={q}
          onChange={(e) => setQ(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'ArrowDown') {
              e.preventDefault();
              setActive((i) => Math.min(matches.length - 1, i + 1));
            } else if (e.key === 'ArrowUp') {
              e.preventDefault();
              setActive((i) => Math.max(0, i - 1));
            } else if (e.key === 'Enter' && matches[active]) {
              e.preventDefault();
              go(matches[active].c.id);
            }
          }}
          placeholder={t('chat.quickSwitcherPlaceholder')}
          aria-label={t('chat.quickSwitcherPlaceholder')}
          data-testid="quick-switcher-input"
          autoFocus
        />
        <ul className="picker-list" role="listbox">
          {matches.map(({ c, title }, i) => (
            <li key={c.id}>
              <button
                type="button"
                role="option"
                aria-selected={i === active}
                className={`picker-row${i === active ? ' selected' : ''}${c.unread_count ? ' unread' : ''}`}
                onClick={() => go(c.id)}
                data-testid="quick-switcher-option"
                data-conversation-id={c.id}
              >
                <Icon name={isChannel(c) ? (c.kind === 'private' ? 'lock' : 'hash') : 'user'} size={16} />
                <span className="grow truncate">{title}</span>
                {c.unread_count ? <span className="badge badge-unread">{formatNumber(c.unread_count, lang)}</span> : null}
              </button>
            </li>
          ))}
          {matches.length === 0 ? <li className="muted small padded">{t('chat.noMatches')}</li> : null}
        </ul>
      </div>
    </Dialog>
  );
}

export function Lightbox({ attachment, onClose }: { attachment: Attachment | null; onClose: () => void }) {
  const { t } = useTranslation();
  return (
    <Dialog open={!!attachment} onClose={onClose} title={attachment?.name ?? ''} testId="lightbox">
      {attachment ? (
        <div className="lightbox">
          <img src={attachment.url} alt={attachment.name} data-testid="lightbox-image" />
          <a className="btn btn-secondary btn-sm" href={attachment.url} download={attachment.name}>
            <Icon name="download" size={16} /> {t('chat.download')}
          </a>
        </div>
      ) : null}
    </Dialog>
  );
}

