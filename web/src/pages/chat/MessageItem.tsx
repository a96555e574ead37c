// One message in a list: avatar and name (or only the time when it continues a group), quote or
// forwarded copy, body, attachments, reactions, thread link, read tick, and the action bar that
// appears on hover, on keyboard focus, or after a long press on touch screens.

import { memo, useRef, useState, useSyncExternalStore, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import * as ep from '../../api/chatEndpoints';
import type { Attachment, Message, Quote, UserRef } from '../../api/types';
import { Avatar } from '../../components/Avatar';
import { Icon } from '../../components/Icon';
import { useToast } from '../../components/Toast';
import { copyText } from '../../lib/clipboard';
import { errorMessage } from '../../lib/errors';
import { formatDateTime } from '../../lib/format';
import { plainPreview, withMentionNames } from '../../lib/markdown';
import { deliver, updateMessage } from './chatHooks';
import { flashStore, removePending, type PendingMessage } from '../../lib/chatCache';
import { useChatScope, useChatUi, usePane } from './context';
import { MessageBody, type BodyContext } from './MessageBody';
import { EmojiGrid, MenuButton, Popover } from './Popover';
import { ReadCount } from './ReadStatus';
import { InteractiveBlock } from './InteractiveBlock';
import { formatBytes, formatClock } from './time';

export function PresenceDot({ userId }: { userId: string }) {
  const { t } = useTranslation();
  const { presence } = useChatScope();
  const p = presence.get(userId);
  const state = p?.state ?? 'offline';
  return (
    <span
      className={`presence-dot presence-${state}${p?.dnd ? ' presence-dnd' : ''}`}
      data-testid="presence-dot"
      data-state={state}
      title={t(`chat.presence.${state}`)}
      role="img"
      aria-label={t(`chat.presence.${state}`)}
    />
  );
}

export function PersonAvatar({ who, size = 36, presence = false }: { who: UserRef; size?: number; presence?: boolean }) {
  return (
    <span className="avatar-wrap">
      <Avatar who={who} size={size} />
      {presence ? <PresenceDot userId={who.id} /> : null}
    </span>
  );
}

/** A person's status emoji and text next to their name (only while it has not expired). */
export function StatusBadge({ userId }: { userId: string }) {
  const { presence } = useChatScope();
  const p = presence.get(userId);
  if (!p || (!p.status_text && !p.status_emoji)) return null;
  if (p.status_expires_at && new Date(p.status_expires_at).getTime() < Date.now()) return null;
  return (
    <span className="status-badge" data-testid="status-badge" title={p.status_text}>
      {p.status_emoji ? <span aria-hidden="true">{p.status_emoji}</span> : null}
      {p.status_text ? <span className="status-badge-text">{p.status_text}</span> : null}
    </span>
  );
}

function useBodyContext(mentions: readonly string[]): BodyContext {
  const { person, me } = useChatScope();
  return { mentions, nameOf: (id) => person(id)?.name, meId: me.id };
}

export function QuoteBlock({ quote, kind }: { quote: Quote; kind: 'quote' | 'forwarded' }) {
  const { t } = useTranslation();
  const { person, timeZone, lang } = useChatScope();
  return (
    <div className={`msg-quote msg-quote-${kind}`} data-testid={kind === 'quote' ? 'message-quote' : 'message-forwarded'}>
      <div className="msg-quote-head">
        {kind === 'forwarded' ? <Icon name="forward" size={14} /> : <Icon name="quote" size={14} />}
        <span>
          {kind === 'forwarded' ? t('chat.forwardedFrom', { name: quote.author.name }) : quote.author.name}
        </span>
        <time className="muted" dateTime={quote.created_at}>{formatDateTime(quote.created_at, timeZone, lang)}</time>
      </div>
      <div className="msg-quote-body">{plainPreview(quote.body, (id) => person(id)?.name) || t('chat.attachmentOnly')}</div>
    </div>
  );
}

export function Attachments({ items }: { items: readonly Attachment[] }) {
  const { t } = useTranslation();
  const { lang } = useChatScope();
  const ui = useChatUi();
  if (!items.length) return null;
  return (
    <div className="attachments">
      {items.map((a) => {
        if (a.kind === 'image') {
          const w = a.width ?? 320;
          const h = a.height ?? 240;
          const scale = Math.min(1, 320 / w, 240 / h);
          return (
            <button
              key={a.id}
              type="button"
              className="att-image"
              onClick={() => ui.lightbox(a)}
              data-testid="attachment-image"
              aria-label={t('chat.openImage', { name: a.name })}
            >
              <img src={a.thumbnail_url ?? a.url} alt={a.name} width={Math.round(w * scale)} height={Math.round(h * scale)} loading="lazy" />
            </button>
          );
        }
        if (a.kind === 'audio') {
          return (
            <div key={a.id} className="att-audio" data-testid="attachment-audio">
              <Icon name="mic" size={16} />
              <audio controls preload="metadata" src={a.url} aria-label={t('chat.voiceNote')} />
            </div>
          );
        }
        return (
          <div key={a.id} className="att-file" data-testid="attachment-file">
            <Icon name="file" size={22} />
            <div className="min-w-0 grow">
              <div className="truncate att-file-name">{a.name}</div>
              <div className="small muted">{formatBytes(a.size_bytes, lang)}</div>
            </div>
            <a className="btn btn-ghost btn-sm" href={a.url} download={a.name} data-testid="attachment-download">
              <Icon name="download" size={16} /> {t('chat.download')}
            </a>
          </div>
        );
      })}
    </div>
  );
}

function Reactions({ m }: { m: Message }) {
  const { t } = useTranslation();
  const { orgId, me, person } = useChatScope();
  const qc = useQueryClient();
  const toast = useToast();
  const toggle = useMutation({
    mutationFn: (emoji: string) => {
      const mine = m.reactions.find((r) => r.emoji === emoji)?.user_ids.includes(me.id);
      return mine ? ep.removeReaction(orgId, m.conversation_id, m.id, emoji) : ep.addReaction(orgId, m.conversation_id, m.id, emoji);
    },
    onSuccess: (next) => updateMessage(qc, orgId, next),
    onError: (e) => toast(errorMessage(t, e), 'error'),
  });
  if (!m.reactions.length) return null;
  return (
    <div className="reactions">
      {m.reactions.map((r) => {
        const mine = r.user_ids.includes(me.id);
        const names = r.user_ids.map((id) => (id === me.id ? t('common.you') : person(id)?.name ?? t('chat.someone'))).join(', ');
        return (
          <button
            key={r.emoji}
            type="button"
            className={`reaction${mine ? ' reaction-mine' : ''}`}
            aria-pressed={mine}
            title={names}
            onClick={() => toggle.mutate(r.emoji)}
            data-testid="reaction"
            data-emoji={r.emoji}
            data-count={r.user_ids.length}
          >
            <span aria-hidden="true">{r.emoji}</span> {r.user_ids.length}
          </button>
        );
      })}
    </div>
  );
}

function ReadTick({ m }: { m: Message }) {
  const { t } = useTranslation();
  const { me } = useChatScope();
  const pane = usePane();
  // Announcements show a read count instead (ReadStatus.tsx).
  if (!pane.conversation.read_receipts || pane.conversation.announcement || m.author.id !== me.id || m.deleted) return null;
  const others = (pane.members ?? []).filter((x) => x.user.id !== me.id);
  const readers = others.filter((x) => x.last_read_seq >= m.seq).length;
  const read = others.length > 0 && readers === others.length;
  const label = read
    ? t('chat.readByAll')
    : others.length > 1 && readers > 0
      ? t('chat.readBy', { n: readers, total: others.length })
      : t('chat.sent');
  return (
    <span className={`read-tick${read ? ' read-tick-read' : ''}`} data-testid="message-read-tick" data-state={read ? 'read' : 'sent'} title={label} aria-label={label}>
      {read ? '✓✓' : '✓'}
    </span>
  );
}

interface ItemProps {
  m: Message;
  /** Continues the previous message's group: no avatar and name. */
  compact: boolean;
  divider?: ReactNode;
  inThread?: boolean;
}

export const MessageItem = memo(function MessageItem({ m, compact, divider, inThread }: ItemProps) {
  const { t } = useTranslation();
  const scope = useChatScope();
  const { orgId, me, timeZone, lang } = scope;
  const ui = useChatUi();
  const pane = usePane();
  const qc = useQueryClient();
  const toast = useToast();
  const [menu, setMenu] = useState<'more' | 'react' | null>(null);
  const [active, setActive] = useState(false);
  const press = useRef<ReturnType<typeof setTimeout> | null>(null);
  const bodyCtx = useBodyContext(m.mentions);
  const mine = m.author.id === me.id;
  const writable = pane.conversation.is_member && !pane.conversation.archived;

  const react = useMutation({
    mutationFn: (emoji: string) => {
      const has = m.reactions.find((r) => r.emoji === emoji)?.user_ids.includes(me.id);
      return has ? ep.removeReaction(orgId, m.conversation_id, m.id, emoji) : ep.addReaction(orgId, m.conversation_id, m.id, emoji);
    },
    onSuccess: (next) => updateMessage(qc, orgId, next),
    onError: (e) => toast(errorMessage(t, e), 'error'),
  });
  const pin = useMutation({
    mutationFn: () => (m.pinned ? ep.unpinMessage(orgId, m.conversation_id, m.id) : ep.pinMessage(orgId, m.conversation_id, m.id)),
    onSuccess: (next) => {
      updateMessage(qc, orgId, next);
      toast(next.pinned ? t('chat.pinned') : t('chat.unpinned'));
    },
    onError: (e) => toast(errorMessage(t, e), 'error'),
  });

  const close = () => {
    setMenu(null);
    setActive(false);
  };
  const startPress = () => {
    press.current = setTimeout(() => {
      setActive(true);
      setMenu('more');
    }, 500);
  };
  const endPress = () => {
    if (press.current) clearTimeout(press.current);
    press.current = null;
  };

  const flashing = useSyncExternalStore(flashStore.subscribe, flashStore.get) === m.id;
  const time = formatClock(m.created_at, timeZone, lang);
  const fullTime = formatDateTime(m.created_at, timeZone, lang);
  const threadLink = !inThread && m.reply_count > 0 && !m.thread_root_id;

  return (
    <div
      className={`msg${compact ? ' msg-compact' : ''}${active || menu ? ' msg-active' : ''}${!mine && (m.mentions.includes(me.id) || m.mention_here || m.mention_channel) ? ' msg-mentions-me' : ''}`}
      data-testid="message"
      data-message-id={m.id}
      data-flash={flashing ? 'true' : undefined}
      data-seq={m.seq}
      data-author-id={m.author.id}
      data-status="sent"
      ref={(el) => (el ? pane.observe(el) : undefined)}
      onTouchStart={startPress}
      onTouchEnd={endPress}
      onTouchMove={endPress}
      onContextMenu={(e) => {
        if (active) e.preventDefault();
      }}
    >
      {divider}
      <div className="msg-row">
        <div className="msg-gutter">
          {compact ? (
            <time className="msg-hover-time" dateTime={m.created_at} title={fullTime}>{time}</time>
          ) : (
            <PersonAvatar who={scope.person(m.author.id) ?? m.author} presence />
          )}
        </div>
        <div className="msg-main">
          {compact ? null : (
            <div className="msg-head">
              <strong className="msg-author" data-testid="message-author">{m.author.name}</strong>
              <StatusBadge userId={m.author.id} />
              <time className="msg-time" dateTime={m.created_at} title={fullTime} data-testid="message-time">{time}</time>
            </div>
          )}
          {m.forwarded && !m.deleted ? <QuoteBlock quote={m.forwarded} kind="forwarded" /> : null}
          {m.quote && !m.deleted ? <QuoteBlock quote={m.quote} kind="quote" /> : null}
          {m.deleted ? (
            <p className="msg-deleted" data-testid="message-deleted">{t('chat.deletedMessage')}</p>
          ) : m.body ? (
            <MessageBody body={m.body} ctx={bodyCtx} />
          ) : null}
          {m.interactive && !m.deleted ? <InteractiveBlock m={m} /> : null}
          {m.edited_at && !m.deleted ? (
            <button type="button" className="msg-edited" onClick={() => ui.history(m)} data-testid="message-edited" title={t('chat.editHistory')}>
              {t('chat.edited')}
            </button>
          ) : null}
          {!m.deleted ? <Attachments items={m.attachments} /> : null}
          {!m.deleted ? <Reactions m={m} /> : null}
          <div className="msg-meta">
            {m.pinned ? (
              <span className="msg-pinned" data-testid="message-pinned">
                <Icon name="pin" size={13} /> {t('chat.pinnedLabel')}
              </span>
            ) : null}
            {threadLink ? (
              <button type="button" className="thread-link" onClick={() => ui.openThread(m.id)} data-testid="thread-link" data-count={m.reply_count}>
                {t('chat.replies', { count: m.reply_count })}
                {m.last_reply_at ? <span className="muted"> · {t('chat.lastReply', { time: formatClock(m.last_reply_at, timeZone, lang) })}</span> : null}
              </button>
            ) : null}
            {!inThread ? <ReadCount m={m} /> : null}
            {m.thread_root_id && m.also_in_channel && !inThread ? (
              <button type="button" className="thread-link muted" onClick={() => ui.openThread(m.thread_root_id!)} data-testid="also-in-channel">
                {t('chat.repliedInThread')}
              </button>
            ) : null}
          </div>
        </div>
        <ReadTick m={m} />
        {m.deleted ? null : (
          <div className="msg-actions" role="toolbar" aria-label={t('chat.messageActions')}>
            {writable ? (
              <span className="popover-anchor">
                <button type="button" className="btn btn-ghost btn-icon btn-sm" onClick={() => setMenu(menu === 'react' ? null : 'react')} aria-label={t('chat.addReaction')} title={t('chat.addReaction')} data-testid="message-react">
                  <Icon name="smile" size={18} />
                </button>
                <Popover open={menu === 'react'} onClose={close} className="popover-right" label={t('chat.addReaction')}>
                  <EmojiGrid
                    onPick={(e) => {
                      close();
                      react.mutate(e);
                    }}
                  />
                </Popover>
              </span>
            ) : null}
            {!inThread && !m.thread_root_id && writable ? (
              <button type="button" className="btn btn-ghost btn-icon btn-sm" onClick={() => ui.openThread(m.id)} aria-label={t('chat.replyInThread')} title={t('chat.replyInThread')} data-testid="message-reply-thread">
                <Icon name="thread" size={18} />
              </button>
            ) : null}
            <span className="popover-anchor">
              <button type="button" className="btn btn-ghost btn-icon btn-sm" onClick={() => setMenu(menu === 'more' ? null : 'more')} aria-label={t('chat.moreActions')} title={t('chat.moreActions')} aria-expanded={menu === 'more'} data-testid="message-more">
                <Icon name="more" size={18} />
              </button>
              <Popover open={menu === 'more'} onClose={close} className="popover-right menu" testId="message-menu" label={t('chat.messageActions')}>
                {writable ? (
                  <MenuButton testId="message-action-react" onClick={() => setMenu('react')}>
                    <Icon name="smile" size={18} /> {t('chat.addReaction')}
                  </MenuButton>
                ) : null}
                {writable && !inThread && !m.thread_root_id ? (
                  <MenuButton testId="message-action-thread" onClick={() => { close(); ui.openThread(m.id); }}>
                    <Icon name="thread" size={18} /> {t('chat.replyInThread')}
                  </MenuButton>
                ) : null}
                {writable ? (
                  <MenuButton testId="message-action-quote" onClick={() => { close(); pane.composer.current?.quote(m); }}>
                    <Icon name="quote" size={18} /> {t('chat.quoteReply')}
                  </MenuButton>
                ) : null}
                {m.body ? (
                  <MenuButton
                    testId="message-action-copy"
                    onClick={() => {
                      close();
                      void copyText(withMentionNames(m.body, (id) => scope.person(id)?.name)).then((ok) => toast(ok ? t('common.copied') : t('common.copyFailed'), ok ? 'success' : 'error'));
                    }}
                  >
                    <Icon name="copy" size={18} /> {t('chat.copyText')}
                  </MenuButton>
                ) : null}
                <MenuButton testId="message-action-forward" onClick={() => { close(); ui.forward(m); }}>
                  <Icon name="forward" size={18} /> {t('chat.forward')}
                </MenuButton>
                {pane.conversation.is_member ? (
                  <MenuButton testId="message-action-pin" onClick={() => { close(); pin.mutate(); }}>
                    <Icon name="pin" size={18} /> {m.pinned ? t('chat.unpin') : t('chat.pin')}
                  </MenuButton>
                ) : null}
                {mine && writable ? (
                  <MenuButton testId="message-action-edit" onClick={() => { close(); pane.composer.current?.edit(m); }}>
                    <Icon name="edit" size={18} /> {t('chat.editMessage')}
                  </MenuButton>
                ) : null}
                {m.edited_at ? (
                  <MenuButton testId="message-action-history" onClick={() => { close(); ui.history(m); }}>
                    <Icon name="history" size={18} /> {t('chat.editHistory')}
                  </MenuButton>
                ) : null}
                {mine || scope.isOrgAdmin ? (
                  <MenuButton testId="message-action-delete" danger onClick={() => { close(); ui.confirmDelete(m); }}>
                    <Icon name="trash" size={18} /> {t('chat.deleteMessage')}
                  </MenuButton>
                ) : null}
              </Popover>
            </span>
          </div>
        )}
      </div>
    </div>
  );
});

/** A message on its way: "mengirim…", or "gagal — coba lagi" with a retry that reuses the
 * message's client_key. */
export function PendingItem({ p, compact }: { p: PendingMessage; compact: boolean }) {
  const { t } = useTranslation();
  const scope = useChatScope();
  const qc = useQueryClient();
  const body = p.request.body ?? '';
  const mentions = [...body.matchAll(/<@([A-Za-z0-9_-]{1,64})>/g)].map((x) => x[1]!);
  const bodyCtx = useBodyContext(mentions);
  const time = formatClock(p.createdAt, scope.timeZone, scope.lang);
  return (
    <div className={`msg msg-pending${compact ? ' msg-compact' : ''}`} data-testid="message" data-status={p.status} data-client-key={p.request.client_key}>
      <div className="msg-row">
        <div className="msg-gutter">
          {compact ? <time className="msg-hover-time">{time}</time> : <PersonAvatar who={p.author} />}
        </div>
        <div className="msg-main">
          {compact ? null : (
            <div className="msg-head">
              <strong className="msg-author">{p.author.name}</strong>
              <time className="msg-time">{time}</time>
            </div>
          )}
          {p.quote ? <QuoteBlock quote={p.quote} kind="quote" /> : null}
          {body ? <MessageBody body={body} ctx={bodyCtx} /> : null}
          <Attachments items={p.attachments} />
          <div className="msg-meta">
            {p.status === 'sending' ? (
              <span className="msg-sending" data-testid="message-sending">{t('chat.sending')}</span>
            ) : (
              <span className="msg-failed" role="alert" data-testid="message-failed" title={errorMessage(t, p.error)}>
                {t('chat.failed')}
                <button type="button" className="btn btn-secondary btn-sm" onClick={() => void deliver(qc, p)} data-testid="message-retry">
                  {t('common.retry')}
                </button>
                <button type="button" className="btn btn-ghost btn-sm" onClick={() => removePending(p.request.client_key)} data-testid="message-discard">
                  {t('chat.discard')}
                </button>
              </span>
            )}
          </div>
        </div>
      </div>
    </div>
  );
}
