// Side panels of the room: the meeting chat and the participants (with the waiting room and the
// host's controls), plus the per-participant menu used on tiles and rows.

import { useEffect, useLayoutEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { createPortal } from 'react-dom';
import { useTranslation } from 'react-i18next';
import { CHAT_MAX, type Participant, type ParticipantAction } from '../../api/meetEndpoints';
import { Icon } from '../../components/Icon';
import { useLanguage } from '../../i18n';
import { formatTime, browserTimeZone } from '../../lib/format';
import { MenuButton } from '../chat/Popover';
import type { ChatLine } from './session';
import { initials, type Person } from './Tiles';

export interface HostApi {
  /** I am host or cohost. */
  canHost: boolean;
  isHost: boolean;
  spotlight: string | null;
  act: (p: { id: string; name: string }, action: ParticipantAction) => void;
  rename: (p: Person) => void;
  remove: (p: Person) => void;
}

/**
 * A menu drawn over everything (a portal with fixed position next to its button), so tiles and
 * scrolling panels never clip it. Closes on Escape, a click outside, scrolling and resizing.
 */
function FloatingMenu({ anchor, onClose, children, label, testId }: { anchor: HTMLElement; onClose: () => void; children: ReactNode; label: string; testId: string }) {
  const ref = useRef<HTMLDivElement>(null);
  const [pos, setPos] = useState<{ top: number; left: number } | null>(null);
  const onCloseRef = useRef(onClose);
  onCloseRef.current = onClose;
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const a = anchor.getBoundingClientRect();
    const w = el.offsetWidth;
    const h = el.offsetHeight;
    const left = Math.max(8, Math.min(a.right - w, window.innerWidth - w - 8));
    const below = a.bottom + 4;
    const top = below + h > window.innerHeight - 8 ? Math.max(8, a.top - h - 4) : below;
    setPos({ top, left });
  }, [anchor]);
  useEffect(() => {
    const onDown = (e: PointerEvent) => {
      const target = e.target as Node;
      if (!ref.current?.contains(target) && !anchor.contains(target)) onCloseRef.current();
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        e.stopPropagation();
        onCloseRef.current();
      }
    };
    const onMove = () => onCloseRef.current();
    document.addEventListener('pointerdown', onDown);
    document.addEventListener('keydown', onKey, true);
    window.addEventListener('resize', onMove);
    return () => {
      document.removeEventListener('pointerdown', onDown);
      document.removeEventListener('keydown', onKey, true);
      window.removeEventListener('resize', onMove);
    };
  }, [anchor]);
  return createPortal(
    <div
      ref={ref}
      className="popover menu meet-menu floating-menu"
      style={{ position: 'fixed', top: pos?.top ?? -9999, left: pos?.left ?? -9999 }}
      role="menu"
      aria-label={label}
      data-testid={testId}
    >
      {children}
    </div>,
    document.body,
  );
}

/** The ⋯ menu of a participant, for hosts and cohosts (nothing for others or on myself). */
export function ParticipantMenu({ person, host, testId = 'participant-menu' }: { person: Person; host: HostApi; testId?: string }) {
  const { t } = useTranslation();
  const [open, setOpen] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  if (!host.canHost || person.me) return null;
  // A cohost cannot mute, remove or demote the host.
  const protectedHost = person.role === 'host' && !host.isHost;
  const pick = (fn: () => void) => () => {
    setOpen(false);
    fn();
  };
  return (
    <>
      <button
        ref={button}
        type="button"
        className="btn btn-ghost btn-icon btn-sm pm-button"
        aria-label={t('meet.participantMenu', { name: person.name })}
        aria-expanded={open}
        onClick={() => setOpen((o) => !o)}
        data-testid={testId}
      >
        <Icon name="more" size={18} />
      </button>
      {open && button.current ? (
        <FloatingMenu anchor={button.current} onClose={() => setOpen(false)} testId="pm-menu" label={t('meet.participantMenu', { name: person.name })}>
          {person.mic && !protectedHost ? (
            <MenuButton onClick={pick(() => host.act(person, 'mute'))} testId="pm-mute">
              <Icon name="micOff" size={18} /> {t('meet.mute')}
            </MenuButton>
          ) : null}
          {!person.mic ? (
            <MenuButton onClick={pick(() => host.act(person, 'ask-unmute'))} testId="pm-ask-unmute">
              <Icon name="mic" size={18} /> {t('meet.askUnmute')}
            </MenuButton>
          ) : null}
          {person.cam && !protectedHost ? (
            <MenuButton onClick={pick(() => host.act(person, 'stop-video'))} testId="pm-stop-video">
              <Icon name="videoOff" size={18} /> {t('meet.stopVideo')}
            </MenuButton>
          ) : null}
          {host.spotlight === person.id ? (
            <MenuButton onClick={pick(() => host.act(person, 'unspotlight'))} testId="pm-unspotlight">
              <Icon name="speakerView" size={18} /> {t('meet.unspotlight')}
            </MenuButton>
          ) : (
            <MenuButton onClick={pick(() => host.act(person, 'spotlight'))} testId="pm-spotlight">
              <Icon name="speakerView" size={18} /> {t('meet.spotlight')}
            </MenuButton>
          )}
          {host.isHost && person.role === 'participant' && !person.guest ? (
            <MenuButton onClick={pick(() => host.act(person, 'make-cohost'))} testId="pm-make-cohost">
              <Icon name="shield" size={18} /> {t('meet.makeCohost')}
            </MenuButton>
          ) : null}
          {host.isHost && person.role === 'cohost' ? (
            <MenuButton onClick={pick(() => host.act(person, 'make-participant'))} testId="pm-make-participant">
              <Icon name="user" size={18} /> {t('meet.makeParticipant')}
            </MenuButton>
          ) : null}
          {!protectedHost ? (
            <MenuButton onClick={pick(() => host.rename(person))} testId="pm-rename">
              <Icon name="edit" size={18} /> {t('meet.rename')}
            </MenuButton>
          ) : null}
          {!protectedHost && person.role !== 'host' ? (
            <MenuButton onClick={pick(() => host.remove(person))} testId="pm-remove" danger>
              <Icon name="logout" size={18} /> {t('meet.remove')}
            </MenuButton>
          ) : null}
        </FloatingMenu>
      ) : null}
    </>
  );
}

function roleLabel(t: (k: string) => string, p: { role: Person['role']; guest: boolean }): string | null {
  if (p.role === 'host') return t('meet.roles.host');
  if (p.role === 'cohost') return t('meet.roles.cohost');
  if (p.guest) return t('meet.guest');
  return null;
}

function Mini({ name }: { name: string }) {
  let h = 0;
  for (let i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) % 360;
  return (
    <span className="mini-avatar" style={{ background: `hsl(${h} 45% 40%)` }} aria-hidden="true">
      {initials(name)}
    </span>
  );
}

const ROLE_RANK = { host: 0, cohost: 1, participant: 2 } as const;

/** A steady order for the list: me, hosts, cohosts, raised hands, then by name. */
export function panelOrder(people: Person[]): Person[] {
  return [...people].sort(
    (a, b) =>
      Number(b.me) - Number(a.me) ||
      ROLE_RANK[a.role] - ROLE_RANK[b.role] ||
      Number(b.hand) - Number(a.hand) ||
      a.name.localeCompare(b.name, 'id'),
  );
}

export function ParticipantsPanel({
  people,
  waiting,
  host,
  locked,
  onAdmit,
  onDeny,
  onAdmitAll,
  onMuteAll,
  onLock,
  onClose,
}: {
  people: Person[];
  waiting: Participant[];
  host: HostApi;
  locked: boolean;
  onAdmit: (p: Participant) => void;
  onDeny: (p: Participant) => void;
  onAdmitAll: () => void;
  onMuteAll: () => void;
  onLock: (locked: boolean) => void;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  return (
    <aside className="meet-panel" data-testid="participants-panel" aria-labelledby="participants-title">
      <header className="meet-panel-head">
        <h2 id="participants-title">{t('meet.participantsTitle', { count: people.length })}</h2>
        <button type="button" className="btn btn-ghost btn-icon" onClick={onClose} aria-label={t('meet.closePanel')} data-testid="panel-close">
          <Icon name="close" />
        </button>
      </header>
      <div className="meet-panel-body">
        {host.canHost && waiting.length ? (
          <section className="waiting-list" data-testid="waiting-list" aria-labelledby="waiting-title">
            <div className="waiting-head">
              <h3 id="waiting-title">{t('meet.waitingRoom', { count: waiting.length })}</h3>
              {waiting.length > 1 ? (
                <button type="button" className="btn btn-secondary btn-sm" onClick={onAdmitAll} data-testid="waiting-admit-all">
                  {t('meet.admitAll')}
                </button>
              ) : null}
            </div>
            <ul>
              {waiting.map((w) => (
                <li key={w.id} className="prow" data-testid="waiting-row" data-participant-id={w.id}>
                  <Mini name={w.name} />
                  <span className="grow min-w-0 waiting-name">
                    {w.name}
                    {w.guest ? <span className="block muted small">{t('meet.guest')}</span> : null}
                  </span>
                  <button type="button" className="btn btn-ghost btn-sm" onClick={() => onDeny(w)} data-testid="waiting-deny">
                    {t('meet.deny')}
                  </button>
                  <button type="button" className="btn btn-primary btn-sm" onClick={() => onAdmit(w)} data-testid="waiting-admit">
                    {t('meet.admit')}
                  </button>
                </li>
              ))}
            </ul>
          </section>
        ) : null}
        <ul className="plist">
          {panelOrder(people).map((p) => {
            const role = roleLabel(t, p);
            return (
              <li key={p.id} className="prow" data-testid="participant-row" data-peer-id={p.id} data-mic={p.mic ? 'on' : 'off'}>
                <Mini name={p.name} />
                <span className="grow min-w-0">
                  <span className="block truncate">{p.me ? t('meet.youName', { name: p.name }) : p.name}</span>
                  {role ? <span className="block muted small">{role}</span> : null}
                </span>
                {p.hand ? (
                  <span title={t('meet.handRaised')} aria-label={t('meet.handRaised')} role="img">
                    ✋
                  </span>
                ) : null}
                <span className={`picon${p.mic ? '' : ' off'}`} role="img" aria-label={p.mic ? t('meet.microphone') : t('meet.micOff')}>
                  <Icon name={p.mic ? 'mic' : 'micOff'} size={16} />
                </span>
                <span className={`picon${p.cam ? '' : ' off'}`} role="img" aria-label={p.cam ? t('meet.camera') : t('meet.cameraOff')}>
                  <Icon name={p.cam ? 'video' : 'videoOff'} size={16} />
                </span>
                <ParticipantMenu person={p} host={host} />
              </li>
            );
          })}
        </ul>
      </div>
      {host.canHost ? (
        <footer className="meet-panel-foot">
          <button type="button" className="btn btn-secondary btn-sm" onClick={onMuteAll} data-testid="mute-all">
            <Icon name="micOff" size={16} /> {t('meet.muteAll')}
          </button>
          <button type="button" className="btn btn-secondary btn-sm" onClick={() => onLock(!locked)} aria-pressed={locked} data-testid="lock-meeting">
            <Icon name="lock" size={16} /> {locked ? t('meet.unlock') : t('meet.lock')}
          </button>
        </footer>
      ) : null}
    </aside>
  );
}

/** Chat text as plain text: mention tokens (`<@user id>`) become `@name` when the author of a
 * line here has that id, `@…` otherwise. */
function plainText(text: string, names: Map<string, string>): string {
  return text.replace(/<@([0-9a-f-]{36})>/g, (_, id: string) => `@${names.get(id) ?? '…'}`);
}

export function ChatPanel({
  lines,
  meId,
  chatHref,
  onSend,
  onClose,
}: {
  lines: ChatLine[];
  meId: string | null;
  /** Members: where the meeting's chat lives in Obrolan. */
  chatHref: string | null;
  onSend: (text: string) => void;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const lang = useLanguage();
  const zone = browserTimeZone();
  const [text, setText] = useState('');
  const list = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = list.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [lines.length]);
  const names = new Map(lines.filter((l) => l.user_id).map((l) => [l.user_id as string, l.name]));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!text.trim()) return;
    onSend(text.slice(0, CHAT_MAX));
    setText('');
  };
  return (
    <aside className="meet-panel" data-testid="meet-chat-panel" aria-labelledby="meet-chat-title">
      <header className="meet-panel-head">
        <h2 id="meet-chat-title" className="grow">{t('meet.chatTitle')}</h2>
        {chatHref ? (
          <a className="btn btn-ghost btn-icon" href={chatHref} target="_blank" rel="noopener" title={t('meet.openInChat')} aria-label={t('meet.openInChat')} data-testid="meet-chat-open">
            <Icon name="chat" size={18} />
          </a>
        ) : null}
        <button type="button" className="btn btn-ghost btn-icon" onClick={onClose} aria-label={t('meet.closePanel')} data-testid="panel-close">
          <Icon name="close" />
        </button>
      </header>
      <div className="meet-panel-body meet-chat-list" ref={list} aria-live="polite">
        {lines.length === 0 ? <p className="muted small meet-chat-empty">{t(chatHref ? 'meet.chatEmptySaved' : 'meet.chatEmpty')}</p> : null}
        {lines.map((l, i) => {
          const prev = lines[i - 1];
          const author = l.id ?? l.user_id;
          const grouped = prev && (prev.id ?? prev.user_id) === author;
          return (
            <div key={l.key} className={`meet-chat-line${grouped ? ' grouped' : ''}${l.pending ? ' pending' : ''}`} data-testid="meet-chat-message" data-mine={l.id === meId ? 'true' : undefined}>
              {!grouped ? (
                <div className="meet-chat-head">
                  <strong>{l.id === meId ? t('meet.youName', { name: l.name }) : l.name}</strong>
                  <span className="muted small">{formatTime(l.at, zone, lang)}</span>
                </div>
              ) : null}
              {l.text ? <div className="meet-chat-text break">{plainText(l.text, names)}</div> : null}
              {l.files ? (
                chatHref ? (
                  <a className="meet-chat-files small" href={chatHref} target="_blank" rel="noopener">
                    <Icon name="paperclip" size={14} /> {t('meet.chatFiles', { count: l.files })}
                  </a>
                ) : (
                  <div className="meet-chat-files small muted">
                    <Icon name="paperclip" size={14} /> {t('meet.chatFilesNoLink', { count: l.files })}
                  </div>
                )
              ) : null}
            </div>
          );
        })}
      </div>
      <form className="meet-chat-form" onSubmit={submit}>
        <input
          type="text"
          value={text}
          maxLength={CHAT_MAX}
          onChange={(e) => setText(e.target.value)}
          placeholder={t('meet.chatPlaceholder')}
          aria-label={t('meet.chatPlaceholder')}
          data-testid="meet-chat-input"
        />
        <button type="submit" className="btn btn-primary btn-icon" aria-label={t('meet.send')} disabled={!text.trim()} data-testid="meet-chat-send">
          <Icon name="send" size={18} />
        </button>
      </form>
    </aside>
  );
}
