// "Set a status": emoji + text with presets (WFH, Rapat, Di lapangan), how long it lasts, and
// do-not-disturb hours. Saved on the account (PUT /me/status, PUT /me/dnd).

import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import * as ep from '../../api/chatEndpoints';
import { keys } from '../../api/queries';
import type { ChatStatus } from '../../api/types';
import { Dialog } from '../../components/Dialog';
import { Field } from '../../components/Field';
import { FormError } from '../../components/FormError';
import { useToast } from '../../components/Toast';
import { chatKeys } from '../../lib/chatCache';
import { addDays, instantOf, wallTimeAt } from '../../lib/zonedTime';
import { useChatScope } from './context';

const PRESETS = [
  { key: 'wfh', emoji: '🏠' },
  { key: 'meeting', emoji: '📅' },
  { key: 'field', emoji: '🚗' },
  { key: 'travel', emoji: '✈️' },
  { key: 'sick', emoji: '🤒' },
  { key: 'leave', emoji: '🌴' },
] as const;

const EXPIRY = ['never', '30m', '1h', '4h', 'today', 'week'] as const;
type Expiry = (typeof EXPIRY)[number];


function expiryInstant(e: Expiry, timeZone: string, now = new Date()): string | null {
  if (e === 'never') return null;
  if (e === '30m') return new Date(now.getTime() + 30 * 60_000).toISOString();
  if (e === '1h') return new Date(now.getTime() + 60 * 60_000).toISOString();
  if (e === '4h') return new Date(now.getTime() + 4 * 60 * 60_000).toISOString();
  const today = wallTimeAt(now, timeZone);
  if (e === 'today') return instantOf({ ...addDays(today, 1), hour: 0, minute: 0 }, timeZone).toISOString();
  // The end of this week: next Monday 00.00.
  const toMonday = ((8 - today.weekday) % 7) || 7;
  return instantOf({ ...addDays(today, toMonday), hour: 0, minute: 0 }, timeZone).toISOString();
}

export function StatusDialog({ open, onClose, current }: { open: boolean; onClose: () => void; current: ChatStatus }) {
  const { t } = useTranslation();
  const { orgId, timeZone } = useChatScope();
  const qc = useQueryClient();
  const toast = useToast();
  const [emoji, setEmoji] = useState('');
  const [text, setText] = useState('');
  const [expiry, setExpiry] = useState<Expiry>('today');
  const [dndOn, setDndOn] = useState(false);
  const [dndStart, setDndStart] = useState('22:00');
  const [dndEnd, setDndEnd] = useState('07:00');

  useEffect(() => {
    if (!open) return;
    setEmoji(current.emoji);
    setText(current.text);
    setExpiry(current.text || current.emoji ? 'never' : 'today');
    setDndOn(!!current.dnd_start && !!current.dnd_end);
    setDndStart(current.dnd_start ?? '22:00');
    setDndEnd(current.dnd_end ?? '07:00');
  }, [open]);

  const save = useMutation({
    mutationFn: async (clear: boolean) => {
      const statusBody = clear ? { text: '', emoji: '', expires_at: null } : { text: text.trim(), emoji, expires_at: text.trim() || emoji ? expiryInstant(expiry, timeZone) : null };
      let me = await ep.putStatus(statusBody);
      const wasOn = !!current.dnd_start && !!current.dnd_end;
      if (dndOn !== wasOn || (dndOn && (dndStart !== current.dnd_start || dndEnd !== current.dnd_end))) {
        me = await ep.putDnd(dndOn ? { start: dndStart, end: dndEnd } : { start: null, end: null });
      }
      return me;
    },
    onSuccess: (me) => {
      qc.setQueryData(keys.me, me);
      void qc.invalidateQueries({ queryKey: chatKeys.presence(orgId) });
      toast(t('common.saved'));
      onClose();
    },
  });

  return (
    <Dialog
      open={open}
      onClose={onClose}
      title={t('chat.statusTitle')}
      testId="status-dialog"
      footer={
        <>
          {current.text || current.emoji ? (
            <button type="button" className="btn btn-ghost" onClick={() => save.mutate(true)} disabled={save.isPending} data-testid="status-clear">
              {t('chat.statusClear')}
            </button>
          ) : null}
          <span className="grow" />
          <button type="button" className="btn btn-secondary" onClick={onClose}>
            {t('common.cancel')}
          </button>
          <button type="button" className="btn btn-primary" onClick={() => save.mutate(false)} disabled={save.isPending} data-testid="status-save">
            {t('common.save')}
          </button>
        </>
      }
    >
      <div className="stack">
        <div className="status-presets" role="group" aria-label={t('chat.statusPresets')}>
          {PRESETS.map((p) => (
            <button
              key={p.key}
              type="button"
              className={`chip chip-button${text === t(`chat.statusPreset.${p.key}`) ? ' selected' : ''}`}
              onClick={() => {
                setEmoji(p.emoji);
                setText(t(`chat.statusPreset.${p.key}`));
              }}
              data-testid={`status-preset-${p.key}`}
            >
              <span aria-hidden="true">{p.emoji}</span> {t(`chat.statusPreset.${p.key}`)}
            </button>
          ))}
        </div>
        <div className="status-custom">
          <Field label={t('chat.statusEmoji')}>
            <input type="text" value={emoji} onChange={(e) => setEmoji(e.target.value.slice(0, 8))} className="status-emoji-input" data-testid="status-emoji" />
          </Field>
          <Field label={t('chat.statusText')} className="grow">
            <input type="text" value={text} onChange={(e) => setText(e.target.value)} maxLength={100} placeholder={t('chat.statusPlaceholder')} data-testid="status-text" />
          </Field>
        </div>
        <Field label={t('chat.statusExpiry')}>
          <select value={expiry} onChange={(e) => setExpiry(e.target.value as Expiry)} data-testid="status-expiry">
            {EXPIRY.map((e) => (
              <option key={e} value={e}>
                {t(`chat.expiry.${e}`)}
              </option>
            ))}
          </select>
        </Field>
        <fieldset className="stack-sm plain-fieldset">
          <legend>
            <strong>{t('chat.dndTitle')}</strong>
          </legend>
          <label className="checkbox">
            <input type="checkbox" checked={dndOn} onChange={(e) => setDndOn(e.target.checked)} data-testid="dnd-enabled" />
            <span>{t('chat.dndHint')}</span>
          </label>
          {dndOn ? (
            <div className="grid-2">
              <Field label={t('chat.dndFrom')}>
                <input type="time" value={dndStart} onChange={(e) => setDndStart(e.target.value)} required data-testid="dnd-start" />
              </Field>
              <Field label={t('chat.dndUntil')}>
                <input type="time" value={dndEnd} onChange={(e) => setDndEnd(e.target.value)} required data-testid="dnd-end" />
              </Field>
            </div>
          ) : null}
        </fieldset>
        <FormError error={save.error} testId="status-error" />
      </div>
    </Dialog>
  );
}
