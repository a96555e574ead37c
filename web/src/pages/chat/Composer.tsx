// The message box. Enter sends, Shift+Enter is a new line, ↑ in an empty box edits your last
// message, Escape cancels an edit or a quote. `@` `:` `#` open autocomplete; a chosen person shows
// as `@Name` here and is sent as the token `<@id>` (the name → id map is kept alongside the text).
// Files arrive by paste, drop or the attach button (pictures are shrunk first); voice notes are
// recorded here; "send later" schedules the text.

import { forwardRef, useEffect, useImperativeHandle, useMemo, useRef, useState, type ChangeEvent, type KeyboardEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import * as ep from '../../api/chatEndpoints';
import { listMembers } from '../../api/endpoints';
import type { Attachment, Conversation, Message, Quote } from '../../api/types';
import { Icon } from '../../components/Icon';
import { useToast } from '../../components/Toast';
import { chatKeys } from '../../lib/chatCache';
import { errorMessage } from '../../lib/errors';
import { formatDateTime } from '../../lib/format';
import { CHAT_IMAGE_MAX_PX, shrinkImage } from '../../lib/image';
import { sendRealtime } from '../../lib/realtimeHub';
import { addDays, fromLocalInput, instantOf, toLocalInput, wallTimeAt } from '../../lib/zonedTime';
import { deliver, makePending, updateMessage } from './chatHooks';
import { useChatScope, type ComposerHandle } from './context';
import { searchEmoji } from './emoji';
import { EmojiGrid, MenuButton, Popover } from './Popover';
import { formatBytes, formatDuration } from './time';

export const MAX_BODY = 8000;
const TYPING_EVERY_MS = 3_000;

// ---------------------------------------------------------------------------------------------
// Mentions: `@Name` in the box ↔ `<@id>` on the wire

/** Replaces each `@Name` the person picked with its token; longest names first, so `@Budi`
 * does not eat the start of `@Budi Santoso`. */
export function encodeMentions(text: string, names: ReadonlyMap<string, string>): string {
  const entries = [...names].sort((a, b) => b[0].length - a[0].length);
  let out = text;
  for (const [name, id] of entries) out = out.split(`@${name}`).join(`<@${id}>`);
  return out;
}

/** The other way, for editing: tokens of known people become `@Name`. */
export function decodeMentions(body: string, nameOf: (id: string) => string | undefined): { text: string; names: Map<string, string> } {
  const names = new Map<string, string>();
  const text = body.replace(/<@([A-Za-z0-9_-]{1,64})>/g, (token, id: string) => {
    const name = nameOf(id);
    if (!name) return token;
    names.set(name, id);
    return `@${name}`;
  });
  return { text, names };
}

const TRIGGER = /(^|\s)([@:#])([\p{L}\p{N}_.+-]*)$/u;

interface Suggestion {
  key: string;
  label: string;
  hint?: string;
  insert: string;
  mention?: { name: string; id: string };
}

// ---------------------------------------------------------------------------------------------
// Uploads

interface Upload {
  key: string;
  name: string;
  status: 'uploading' | 'done' | 'failed';
  attachment?: Attachment;
  error?: unknown;
  durationMs?: number;
}

async function prepareFile(file: File): Promise<{ blob: Blob; name: string }> {
  const shrinkable = /^image\/(jpeg|png|webp)$/.test(file.type);
  if (!shrinkable || typeof document === 'undefined') return { blob: file, name: file.name };
  try {
    const type = file.type === 'image/jpeg' ? 'image/jpeg' : 'image/webp';
    const small = await shrinkImage(file, CHAT_IMAGE_MAX_PX, type);
    // Some browsers cannot write WebP and hand back PNG: keep whichever is smaller and typed.
    if (small.size >= file.size || !small.type.startsWith('image/')) return { blob: file, name: file.name };
    const ext = small.type === 'image/jpeg' ? 'jpg' : small.type.split('/')[1]!;
    return { blob: small, name: file.name.replace(/\.[^.]+$/, '') + '.' + ext };
  } catch {
    return { blob: file, name: file.name };
  }
}

// ---------------------------------------------------------------------------------------------
// Voice notes

function pickAudioType(): string | undefined {
  if (typeof MediaRecorder === 'undefined') return undefined;
  for (const t of ['audio/webm;codecs=opus', 'audio/ogg;codecs=opus', 'audio/webm']) {
    if (MediaRecorder.isTypeSupported(t)) return t;
  }
  return undefined;
}

function useVoiceRecorder(onDone: (file: File, durationMs: number) => void, onError: (e: unknown) => void) {
  const [startedAt, setStartedAt] = useState<number | null>(null);
  const [now, setNow] = useState(0);
  const rec = useRef<{ recorder: MediaRecorder; stream: MediaStream; chunks: Blob[]; cancelled: boolean } | null>(null);

  useEffect(() => {
    if (startedAt === null) return;
    const timer = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(timer);
  }, [startedAt]);
  useEffect(() => () => rec.current?.stream.getTracks().forEach((t) => t.stop()), []);

  const start = async () => {
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      const mimeType = pickAudioType();
      const recorder = new MediaRecorder(stream, mimeType ? { mimeType } : undefined);
      const state = { recorder, stream, chunks: [] as Blob[], cancelled: false };
      const began = Date.now();
      recorder.ondataavailable = (e) => {
        if (e.data.size) state.chunks.push(e.data);
      };
      recorder.onstop = () => {
        stream.getTracks().forEach((t) => t.stop());
        rec.current = null;
        setStartedAt(null);
        if (state.cancelled || !state.chunks.length) return;
        const type = (recorder.mimeType || mimeType || 'audio/webm').split(';')[0]!;
        const ext = type === 'audio/ogg' ? 'ogg' : 'webm';
        const stamp = new Date().toISOString().slice(0, 19).replace(/[-:T]/g, '');
        onDone(new File(state.chunks, `pesan-suara-${stamp}.${ext}`, { type }), Date.now() - began);
      };
      rec.current = state;
      recorder.start(250);
      setStartedAt(began);
      setNow(began);
    } catch (e) {
      onError(e);
    }
  };
  const stop = () => rec.current?.recorder.stop();
  const cancel = () => {
    if (!rec.current) return;
    rec.current.cancelled = true;
    rec.current.recorder.stop();
  };
  const supported = typeof navigator !== 'undefined' && !!navigator.mediaDevices?.getUserMedia && typeof MediaRecorder !== 'undefined';
  return { recording: startedAt !== null, elapsed: startedAt === null ? 0 : now - startedAt, start, stop, cancel, supported };
}

// ---------------------------------------------------------------------------------------------

interface ComposerProps {
  conversation: Conversation;
  threadRootId: string | null;
  /** The newest message of mine in this pane, for ↑ (edit last). */
  lastOwnMessage: () => Message | undefined;
  /** Called after a message was handed over for sending (the list scrolls to the end). */
  onSent?: () => void;
  placeholder: string;
}

export const Composer = forwardRef<ComposerHandle, ComposerProps>(function Composer(
  { conversation, threadRootId, lastOwnMessage, onSent, placeholder },
  ref,
) {
  const { t } = useTranslation();
  const scope = useChatScope();
  const { orgId, me, timeZone, lang } = scope;
  const qc = useQueryClient();
  const toast = useToast();
  const area = useRef<HTMLTextAreaElement>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const [text, setText] = useState('');
  const names = useRef(new Map<string, string>());
  const [uploads, setUploads] = useState<Upload[]>([]);
  const [quote, setQuote] = useState<Quote | null>(null);
  const [editing, setEditing] = useState<Message | null>(null);
  const [alsoToChannel, setAlsoToChannel] = useState(false);
  const [trigger, setTrigger] = useState<{ char: '@' | ':' | '#'; query: string; start: number } | null>(null);
  const [active, setActive] = useState(0);
  const [menu, setMenu] = useState<'emoji' | 'later' | null>(null);
  const [customAt, setCustomAt] = useState('');
  const [error, setError] = useState<string | null>(null);
  const lastTyping = useRef(0);
  const [dragging, setDragging] = useState(false);

  const voice = useVoiceRecorder(
    (file, durationMs) => void addFiles([file], durationMs),
    (e) => toast(e instanceof DOMException && e.name === 'NotAllowedError' ? t('chat.micDenied') : errorMessage(t, e), 'error'),
  );

  useImperativeHandle(ref, () => ({
    quote: (m) => {
      setEditing(null);
      setQuote({ message_id: m.id, conversation_id: m.conversation_id, author: m.author, body: m.body, created_at: m.created_at });
      area.current?.focus();
    },
    edit: (m) => startEdit(m),
    focus: () => area.current?.focus(),
  }));

  // A draft belongs to its conversation: switching conversations starts empty.
  useEffect(() => {
    setText('');
    setUploads([]);
    setQuote(null);
    setEditing(null);
    setTrigger(null);
    setError(null);
    names.current = new Map();
  }, [conversation.id, threadRootId]);

  const startEdit = (m: Message) => {
    const decoded = decodeMentions(m.body, (id) => scope.person(id)?.name);
    names.current = decoded.names;
    setQuote(null);
    setEditing(m);
    setText(decoded.text);
    setError(null);
    requestAnimationFrame(() => {
      const el = area.current;
      if (el) {
        el.focus();
        el.setSelectionRange(el.value.length, el.value.length);
      }
    });
  };

  const cancelEdit = () => {
    setEditing(null);
    setText('');
    names.current = new Map();
  };

  // -- autocomplete ---------------------------------------------------------------------------
  const memberSearch = useQuery({
    queryKey: ['members', orgId, 'mention', trigger?.char === '@' ? trigger.query : ''],
    queryFn: () => listMembers(orgId, { q: trigger!.query || undefined, limit: 8, status: 'active' }),
    enabled: trigger?.char === '@' && scope.canParticipate,
    staleTime: 30_000,
    placeholderData: (prev) => prev,
  });
  const channelSearch = useQuery({
    queryKey: chatKeys.channels(orgId, trigger?.char === '#' ? trigger.query : ''),
    queryFn: () => ep.listChannels(orgId, trigger!.query || undefined),
    enabled: trigger?.char === '#' && scope.canParticipate,
    staleTime: 30_000,
    placeholderData: (prev) => prev,
  });

  const suggestions: Suggestion[] = useMemo(() => {
    if (!trigger) return [];
    const q = trigger.query.toLowerCase();
    if (trigger.char === '@') {
      const people: Suggestion[] = (memberSearch.data?.items ?? [])
        .filter((m) => m.id !== me.id)
        .map((m) => ({ key: m.id, label: m.name, hint: m.position ?? undefined, insert: `@${m.name} `, mention: { name: m.name, id: m.id } }));
      const specials: Suggestion[] =
        conversation.kind === 'dm'
          ? []
          : (['here', 'channel', 'semua'] as const)
              .filter((s) => s.startsWith(q))
              .map((s) => ({ key: s, label: `@${s}`, hint: t(`chat.special.${s}`), insert: `@${s} ` }));
      return [...people, ...specials].slice(0, 8);
    }
    if (trigger.char === ':') {
      if (q.length < 2) return [];
      return searchEmoji(q).map((e) => ({ key: e.char, label: `${e.char} :${e.names[0]}:`, insert: `${e.char} ` }));
    }
    return (channelSearch.data ?? [])
      .filter((c) => c.name && c.name.toLowerCase().includes(q))
      .slice(0, 8)
      .map((c) => ({ key: c.id, label: `#${c.name}`, hint: c.topic || undefined, insert: `#${c.name} ` }));
  }, [trigger, memberSearch.data, channelSearch.data, me.id, conversation.kind, t]);

  useEffect(() => setActive(0), [trigger?.char, trigger?.query]);

  const detectTrigger = (value: string, caret: number) => {
    const m = TRIGGER.exec(value.slice(0, caret));
    if (!m) return setTrigger(null);
    setTrigger({ char: m[2] as '@' | ':' | '#', query: m[3]!, start: caret - m[3]!.length - 1 });
  };

  const choose = (s: Suggestion) => {
    const el = area.current;
    if (!el || !trigger) return;
    const caret = el.selectionStart ?? text.length;
    const next = text.slice(0, trigger.start) + s.insert + text.slice(caret);
    if (s.mention) names.current.set(s.mention.name, s.mention.id);
    setText(next);
    setTrigger(null);
    const pos = trigger.start + s.insert.length;
    requestAnimationFrame(() => {
      el.focus();
      el.setSelectionRange(pos, pos);
    });
  };

  const insertAtCaret = (s: string) => {
    const el = area.current;
    const start = el?.selectionStart ?? text.length;
    const end = el?.selectionEnd ?? text.length;
    const next = text.slice(0, start) + s + text.slice(end);
    setText(next);
    requestAnimationFrame(() => {
      el?.focus();
      el?.setSelectionRange(start + s.length, start + s.length);
    });
  };

  // -- files ----------------------------------------------------------------------------------
  const addFiles = async (files: File[], durationMs?: number) => {
    const room = 10 - uploads.length;
    if (files.length > room) toast(t('chat.tooManyFiles'), 'error');
    for (const file of files.slice(0, Math.max(0, room))) {
      const key = `${Date.now()}-${Math.random()}`;
      setUploads((u) => [...u, { key, name: file.name, status: 'uploading', durationMs }]);
      void (async () => {
        try {
          const { blob, name } = await prepareFile(file);
          const attachment = await ep.uploadChatFile(orgId, blob, name);
          setUploads((u) => u.map((x) => (x.key === key ? { ...x, status: 'done', attachment } : x)));
        } catch (e) {
          setUploads((u) => u.map((x) => (x.key === key ? { ...x, status: 'failed', error: e } : x)));
        }
      })();
    }
  };

  // -- sending --------------------------------------------------------------------------------
  const ready = uploads.filter((u) => u.status === 'done' && u.attachment).map((u) => u.attachment!);
  const uploading = uploads.some((u) => u.status === 'uploading');
  const body = encodeMentions(text, names.current).trim();
  const canSend = !uploading && (body.length > 0 || (!editing && ready.length > 0));

  const reset = () => {
    setText('');
    setUploads([]);
    setQuote(null);
    setEditing(null);
    setTrigger(null);
    setError(null);
    names.current = new Map();
    lastTyping.current = 0;
  };

  const submit = async () => {
    if (!canSend) return;
    if (body.length > MAX_BODY) {
      setError(t('errors.chat.message_too_long'));
      return;
    }
    if (editing) {
      if (body === editing.body) return cancelEdit();
      try {
        const m = await ep.editMessage(orgId, editing.conversation_id, editing.id, body);
        updateMessage(qc, orgId, m);
        reset();
      } catch (e) {
        setError(errorMessage(t, e));
      }
      return;
    }
    const p = makePending({
      orgId,
      conversationId: conversation.id,
      author: me,
      body,
      threadRootId,
      alsoToChannel: threadRootId ? alsoToChannel : false,
      attachments: ready,
      quote,
    });
    reset();
    onSent?.();
    await deliver(qc, p);
  };

  const schedule = async (at: Date) => {
    setMenu(null);
    if (!body) return;
    if (at.getTime() <= Date.now()) {
      setError(t('chat.scheduleInPast'));
      return;
    }
    try {
      await ep.scheduleMessage(orgId, conversation.id, { body, send_at: at.toISOString(), ...(threadRootId ? { thread_root_id: threadRootId } : {}) });
      void qc.invalidateQueries({ queryKey: chatKeys.scheduled(orgId) });
      toast(t('chat.scheduledAt', { when: formatDateTime(at, timeZone, lang) }));
      reset();
    } catch (e) {
      setError(errorMessage(t, e));
    }
  };

  const presets = useMemo(() => {
    const now = new Date();
    const today = wallTimeAt(now, timeZone);
    const tomorrow8 = { ...addDays(today, 1), hour: 8, minute: 0 };
    const daysToMonday = ((8 - today.weekday) % 7) || 7;
    const monday8 = { ...addDays(today, daysToMonday), hour: 8, minute: 0 };
    return [
      { key: 'hour', label: t('chat.laterInHour'), at: new Date(now.getTime() + 3_600_000) },
      { key: 'tomorrow', label: t('chat.laterTomorrow'), at: instantOf(tomorrow8, timeZone) },
      { key: 'monday', label: t('chat.laterMonday'), at: instantOf(monday8, timeZone) },
    ];
    // `menu` is a dependency so that "now" is taken again each time the menu opens.
  }, [timeZone, t, menu]);

  const onChange = (e: ChangeEvent<HTMLTextAreaElement>) => {
    const value = e.target.value;
    setText(value);
    setError(null);
    detectTrigger(value, e.target.selectionStart ?? value.length);
    if (value && !editing && Date.now() - lastTyping.current > TYPING_EVERY_MS) {
      lastTyping.current = Date.now();
      sendRealtime({ type: 'typing', conversation_id: conversation.id, ...(threadRootId ? { thread_root_id: threadRootId } : {}) });
    }
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.nativeEvent.isComposing) return;
    if (trigger && suggestions.length) {
      if (e.key === 'ArrowDown') {
        e.preventDefault();
        return setActive((i) => (i + 1) % suggestions.length);
      }
      if (e.key === 'ArrowUp') {
        e.preventDefault();
        return setActive((i) => (i - 1 + suggestions.length) % suggestions.length);
      }
      if (e.key === 'Enter' || e.key === 'Tab') {
        e.preventDefault();
        return choose(suggestions[active]!);
      }
      if (e.key === 'Escape') {
        e.preventDefault();
        return setTrigger(null);
      }
    }
    if (e.key === 'Enter' && !e.shiftKey) {
      e.preventDefault();
      void submit();
      return;
    }
    if (e.key === 'ArrowUp' && text === '' && !uploads.length && !editing) {
      const last = lastOwnMessage();
      if (last) {
        e.preventDefault();
        startEdit(last);
      }
      return;
    }
    if (e.key === 'Escape') {
      if (editing) {
        e.preventDefault();
        cancelEdit();
      } else if (quote) {
        e.preventDefault();
        setQuote(null);
      }
    }
  };

  // Grow with the text up to a limit.
  useEffect(() => {
    const el = area.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${Math.min(el.scrollHeight, 200)}px`;
  }, [text]);

  const isThread = !!threadRootId;
  const testPrefix = isThread ? 'thread-composer' : 'composer';

  return (
    <div
      className={`composer${dragging ? ' composer-drop' : ''}`}
      data-testid={testPrefix}
      onDragOver={(e) => {
        if (e.dataTransfer.types.includes('Files')) {
          e.preventDefault();
          setDragging(true);
        }
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={(e) => {
        if (!e.dataTransfer.files.length) return;
        e.preventDefault();
        setDragging(false);
        void addFiles([...e.dataTransfer.files]);
      }}
    >
      {editing ? (
        <div className="composer-banner" data-testid={`${testPrefix}-editing`}>
          <Icon name="edit" size={16} />
          <span className="grow">{t('chat.editingHint')}</span>
          <button type="button" className="btn btn-ghost btn-sm" onClick={cancelEdit} data-testid={`${testPrefix}-cancel-edit`}>
            {t('common.cancel')}
          </button>
        </div>
      ) : null}
      {quote ? (
        <div className="composer-banner composer-quote" data-testid={`${testPrefix}-quote`}>
          <Icon name="quote" size={16} />
          <div className="grow min-w-0">
            <strong>{quote.author.name}</strong>
            <div className="truncate muted small">{quote.body.replace(/<@([A-Za-z0-9_-]+)>/g, (_, id: string) => `@${scope.person(id)?.name ?? ''}`) || t('chat.attachmentOnly')}</div>
          </div>
          <button type="button" className="btn btn-ghost btn-icon btn-sm" onClick={() => setQuote(null)} aria-label={t('chat.removeQuote')}>
            <Icon name="close" size={16} />
          </button>
        </div>
      ) : null}
      {uploads.length ? (
        <ul className="composer-uploads" aria-label={t('chat.attachments')}>
          {uploads.map((u) => (
            <li key={u.key} className={`upload upload-${u.status}`} data-testid="composer-upload" data-status={u.status}>
              {u.status === 'uploading' ? <span className="spinner spinner-sm" aria-hidden="true" /> : <Icon name={u.durationMs ? 'mic' : 'file'} size={16} />}
              <span className="truncate">{u.durationMs ? `${t('chat.voiceNote')} ${formatDuration(u.durationMs)}` : u.name}</span>
              {u.attachment ? <span className="muted small nowrap">{formatBytes(u.attachment.size_bytes, lang)}</span> : null}
              {u.status === 'failed' ? <span className="upload-error small" role="alert">{errorMessage(t, u.error)}</span> : null}
              <button type="button" className="btn btn-ghost btn-icon btn-sm" onClick={() => setUploads((x) => x.filter((y) => y.key !== u.key))} aria-label={t('chat.removeAttachment', { name: u.name })}>
                <Icon name="close" size={14} />
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      {trigger && suggestions.length ? (
        <ul className="autocomplete" role="listbox" data-testid="composer-autocomplete" aria-label={t('chat.suggestions')}>
          {suggestions.map((s, i) => (
            <li key={s.key}>
              <button
                type="button"
                role="option"
                aria-selected={i === active}
                className={`autocomplete-item${i === active ? ' active' : ''}`}
                onMouseDown={(e) => e.preventDefault()}
                onClick={() => choose(s)}
                data-testid="autocomplete-option"
              >
                <span className="truncate">{s.label}</span>
                {s.hint ? <span className="muted small truncate">{s.hint}</span> : null}
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      {voice.recording ? (
        <div className="composer-recording" data-testid="voice-recording">
          <span className="rec-dot" aria-hidden="true" />
          <span className="grow">{t('chat.recording')} <strong data-testid="voice-duration">{formatDuration(voice.elapsed)}</strong></span>
          <button type="button" className="btn btn-secondary btn-sm" onClick={voice.cancel} data-testid="voice-cancel">
            {t('common.cancel')}
          </button>
          <button type="button" className="btn btn-primary btn-sm" onClick={voice.stop} data-testid="voice-stop">
            <Icon name="stop" size={16} /> {t('chat.stopRecording')}
          </button>
        </div>
      ) : (
        <div className="composer-box">
          <textarea
            ref={area}
            rows={1}
            value={text}
            onChange={onChange}
            onKeyDown={onKeyDown}
            onSelect={(e) => detectTrigger(e.currentTarget.value, e.currentTarget.selectionStart ?? 0)}
            onBlur={() => setTimeout(() => setTrigger(null), 150)}
            onPaste={(e) => {
              const files = [...e.clipboardData.files];
              if (files.length) {
                e.preventDefault();
                void addFiles(files);
              }
            }}
            placeholder={editing ? t('chat.editPlaceholder') : placeholder}
            aria-label={placeholder}
            data-testid={`${testPrefix}-input`}
          />
          <div className="composer-tools">
            <input
              ref={fileInput}
              type="file"
              multiple
              hidden
              onChange={(e) => {
                void addFiles([...(e.target.files ?? [])]);
                e.target.value = '';
              }}
              data-testid={`${testPrefix}-file-input`}
            />
            {!editing ? (
              <button type="button" className="btn btn-ghost btn-icon btn-sm" onClick={() => fileInput.current?.click()} aria-label={t('chat.attach')} title={t('chat.attach')} data-testid={`${testPrefix}-attach`}>
                <Icon name="paperclip" size={18} />
              </button>
            ) : null}
            <span className="popover-anchor">
              <button type="button" className="btn btn-ghost btn-icon btn-sm" onClick={() => setMenu(menu === 'emoji' ? null : 'emoji')} aria-label={t('chat.insertEmoji')} title={t('chat.insertEmoji')} data-testid={`${testPrefix}-emoji`}>
                <Icon name="smile" size={18} />
              </button>
              <Popover open={menu === 'emoji'} onClose={() => setMenu(null)} className="popover-up" label={t('chat.insertEmoji')}>
                <EmojiGrid
                  onPick={(e) => {
                    setMenu(null);
                    insertAtCaret(e);
                  }}
                />
              </Popover>
            </span>
            {!editing && voice.supported ? (
              <button type="button" className="btn btn-ghost btn-icon btn-sm" onClick={() => void voice.start()} aria-label={t('chat.recordVoice')} title={t('chat.recordVoice')} data-testid={`${testPrefix}-voice`}>
                <Icon name="mic" size={18} />
              </button>
            ) : null}
            <span className="grow" />
            {!editing && !uploads.length ? (
              <span className="popover-anchor">
                <button
                  type="button"
                  className="btn btn-ghost btn-icon btn-sm"
                  onClick={() => setMenu(menu === 'later' ? null : 'later')}
                  disabled={!body}
                  aria-label={t('chat.sendLater')}
                  title={body ? t('chat.sendLater') : t('chat.sendLaterHint')}
                  data-testid={`${testPrefix}-later`}
                >
                  <Icon name="clock" size={18} />
                </button>
                <Popover open={menu === 'later'} onClose={() => setMenu(null)} className="popover-up popover-right menu" testId="send-later-menu" label={t('chat.sendLater')}>
                  {presets.map((p) => (
                    <MenuButton key={p.key} onClick={() => void schedule(p.at)} testId={`send-later-${p.key}`}>
                      <span className="grow">{p.label}</span>
                      <span className="muted small">{formatDateTime(p.at, timeZone, lang)}</span>
                    </MenuButton>
                  ))}
                  <form
                    className="send-later-custom"
                    onSubmit={(e) => {
                      e.preventDefault();
                      const wall = fromLocalInput(customAt);
                      if (wall) void schedule(instantOf(wall, timeZone));
                    }}
                  >
                    <label className="small muted" htmlFor={`${testPrefix}-later-at`}>{t('chat.laterCustom', { zone: timeZone })}</label>
                    <input
                      id={`${testPrefix}-later-at`}
                      type="datetime-local"
                      value={customAt}
                      min={toLocalInput(wallTimeAt(new Date(), timeZone))}
                      onChange={(e) => setCustomAt(e.target.value)}
                      data-testid="send-later-custom"
                      required
                    />
                    <button type="submit" className="btn btn-primary btn-sm" data-testid="send-later-custom-submit">
                      {t('chat.schedule')}
                    </button>
                  </form>
                </Popover>
              </span>
            ) : null}
            <button
              type="button"
              className="btn btn-primary btn-icon composer-send"
              onClick={() => void submit()}
              disabled={!canSend}
              aria-label={editing ? t('common.save') : t('chat.send')}
              title={editing ? t('common.save') : t('chat.send')}
              data-testid={`${testPrefix}-send`}
            >
              <Icon name={editing ? 'check' : 'send'} size={18} />
            </button>
          </div>
        </div>
      )}
      {isThread && !editing && !voice.recording ? (
        <label className="checkbox composer-also small">
          <input type="checkbox" checked={alsoToChannel} onChange={(e) => setAlsoToChannel(e.target.checked)} data-testid="thread-also-channel" />
          {conversation.kind === 'public' || conversation.kind === 'private' ? t('chat.alsoToChannel') : t('chat.alsoToConversation')}
        </label>
      ) : null}
      {error ? (
        <div className="composer-error small" role="alert" data-testid={`${testPrefix}-error`}>
          {error}
        </div>
      ) : null}
    </div>
  );
});
