// The chat's own sidebar (the whole screen on phones): channels, then direct messages, each with
// its unread count in bold and a separate @-count for mentions; muted ones stay quiet.

import { useTranslation } from 'react-i18next';
import { NavLink } from 'react-router';
import type { ChatStatus, Conversation } from '../../api/types';
import { Avatar } from '../../components/Avatar';
import { Icon } from '../../components/Icon';
import { formatNumber } from '../../lib/format';
import { conversationTitle, dmPartner, isChannel } from './chatHooks';
import { useChatScope } from './context';
import { PresenceDot, StatusBadge } from './MessageItem';

function ConversationRow({ c }: { c: Conversation }) {
  const { t } = useTranslation();
  const { me, basePath, lang } = useChatScope();
  const partner = dmPartner(c, me.id);
  const title = conversationTitle(c, me.id);
  const unread = c.unread_count > 0 && !c.muted;
  return (
    <NavLink
      to={`${basePath}/${encodeURIComponent(c.id)}`}
      className={({ isActive }) => `conv-row${isActive ? ' active' : ''}${unread ? ' unread' : ''}${c.muted ? ' muted-conv' : ''}`}
      data-testid="conversation-row"
      data-conversation-id={c.id}
      data-kind={c.kind}
      data-unread={c.unread_count}
      data-mentions={c.mention_count}
      aria-label={c.unread_count ? t('chat.rowUnread', { name: title, count: c.unread_count }) : undefined}
    >
      <span className="conv-icon" aria-hidden="true">
        {partner ? (
          <span className="avatar-wrap">
            <Avatar who={partner} size={22} />
            <PresenceDot userId={partner.id} />
          </span>
        ) : c.kind === 'meeting' ? (
          <Icon name="video" size={16} />
        ) : isChannel(c) ? (
          <Icon name={c.kind === 'private' ? 'lock' : 'hash'} size={16} />
        ) : (
          <Icon name="users" size={16} />
        )}
      </span>
      <span className="conv-name truncate">{title}</span>
      {partner ? <StatusBadge userId={partner.id} /> : null}
      {c.muted ? <Icon name="bellOff" size={14} label={t('chat.muted')} /> : null}
      {c.mention_count > 0 ? (
        <span className="badge badge-mention" data-testid="conversation-mentions" title={t('chat.mentionCount', { count: c.mention_count })}>
          @{formatNumber(c.mention_count, lang)}
        </span>
      ) : null}
      {c.unread_count > 0 ? (
        <span className={`badge ${c.muted ? '' : 'badge-unread'}`} data-testid="conversation-unread">
          {c.unread_count > 99 ? '99+' : formatNumber(c.unread_count, lang)}
        </span>
      ) : null}
    </NavLink>
  );
}

/** A titled list of conversations with nothing else in it (meetings, archived channels). */
function RowsSection({ title, rows, testId }: { title: string; rows: Conversation[]; testId?: string }) {
  return (
    <div className="conv-section" data-testid={testId}>
      <h2 className="conv-section-title">{title}</h2>
      <ul>
        {rows.map((c) => (
          <li key={c.id}>
            <ConversationRow c={c} />
          </li>
        ))}
      </ul>
    </div>
  );
}

export function ConversationList({
  conversations,
  onNewChannel,
  onBrowse,
  onNewMessage,
  onScheduled,
  onStatus,
  onSwitcher,
  onSearch,
  myStatus,
}: {
  conversations: Conversation[];
  /** The signed-in person's own status (from `Me`), shown on the status button. */
  myStatus: ChatStatus;
  onNewChannel: () => void;
  onBrowse: () => void;
  onNewMessage: () => void;
  onScheduled: () => void;
  onStatus: () => void;
  onSwitcher: () => void;
  /** Opens the search pane (messages and files). */
  onSearch?: () => void;
}) {
  const { t } = useTranslation();
  const { me, presence, canParticipate } = useChatScope();
  const channels = conversations.filter((c) => isChannel(c) && !c.archived);
  const direct = conversations.filter((c) => !isChannel(c) && c.kind !== 'meeting');
  const meetings = conversations.filter((c) => c.kind === 'meeting');
  const archived = conversations.filter((c) => isChannel(c) && c.archived);
  const mine = presence.get(me.id);
  const statusLive = (myStatus.text || myStatus.emoji) && (!myStatus.expires_at || new Date(myStatus.expires_at).getTime() > Date.now());

  return (
    <nav className="chat-pane chat-sidebar" aria-label={t('chat.conversations')} data-testid="chat-sidebar">
      <header className="pane-header chat-sidebar-header">
        <h1 className="grow">{t('chat.title')}</h1>
        <button type="button" className="btn btn-ghost btn-icon" onClick={onSwitcher} aria-label={t('chat.quickSwitcher')} title={t('chat.quickSwitcherHint')} data-testid="chat-switcher-open">
          <Icon name="search" size={18} />
        </button>
        {canParticipate ? (
          <button type="button" className="btn btn-ghost btn-icon" onClick={onNewMessage} aria-label={t('chat.newMessage')} title={t('chat.newMessage')} data-testid="chat-new-dm">
            <Icon name="edit" size={18} />
          </button>
        ) : null}
      </header>
      {onSearch ? (
        <button type="button" className="chat-search-open" onClick={onSearch} data-testid="chat-search-open">
          <Icon name="search" size={16} />
          <span className="grow truncate">{t('chatSearch.open')}</span>
          <kbd aria-hidden="true">/</kbd>
        </button>
      ) : null}
      <button type="button" className="my-status" onClick={onStatus} data-testid="chat-status-open">
        <span className="avatar-wrap">
          <Avatar who={me} size={28} />
          <PresenceDot userId={me.id} />
        </span>
        <span className="min-w-0 grow">
          <span className="block truncate my-status-name">{me.name}</span>
          <span className="block truncate small muted" data-testid="my-status-text">
            {statusLive ? `${myStatus.emoji} ${myStatus.text}`.trim() : t('chat.setStatus')}
          </span>
        </span>
        {mine?.dnd ? <Icon name="moon" size={16} label={t('chat.dndOn')} /> : null}
      </button>
      <div className="chat-sidebar-scroll">
        <div className="conv-section">
          <h2 className="conv-section-title">{t('chat.channels')}</h2>
          <ul>
            {channels.map((c) => (
              <li key={c.id}>
                <ConversationRow c={c} />
              </li>
            ))}
          </ul>
          {canParticipate ? <div className="conv-section-actions">
            <button type="button" className="conv-action" onClick={onBrowse} data-testid="chat-browse-channels">
              <Icon name="search" size={16} /> {t('chat.browseChannels')}
            </button>
            <button type="button" className="conv-action" onClick={onNewChannel} data-testid="chat-new-channel">
              <Icon name="plus" size={16} /> {t('chat.newChannel')}
            </button>
          </div> : null}
        </div>
        <div className="conv-section">
          <h2 className="conv-section-title">{t('chat.directMessages')}</h2>
          <ul>
            {direct.map((c) => (
              <li key={c.id}>
                <ConversationRow c={c} />
              </li>
            ))}
          </ul>
          {canParticipate ? <div className="conv-section-actions">
            <button type="button" className="conv-action" onClick={onNewMessage} data-testid="chat-new-dm-inline">
              <Icon name="plus" size={16} /> {t('chat.newMessage')}
            </button>
          </div> : null}
        </div>
        {meetings.length ? <RowsSection title={t('chat.meetings')} rows={meetings} testId="chat-meetings-section" /> : null}
        {archived.length ? <RowsSection title={t('chat.archivedChannels')} rows={archived} /> : null}
        <div className="conv-section">
          <button type="button" className="conv-action" onClick={onScheduled} data-testid="chat-scheduled-open">
            <Icon name="clock" size={16} /> {t('chat.scheduledMessages')}
          </button>
        </div>
      </div>
    </nav>
  );
}
