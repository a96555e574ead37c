// A bot message's buttons and simple form. A click posts the action; the bot answers by
// editing the message, so the block shows a spinner until the message changes or 5 s pass.

import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { postMessageAction } from '../../api/chatEndpoints';
import type { Message } from '../../api/types';
import { errorMessage } from '../../lib/errors';
import { useToast } from '../../components/Toast';
import { useChatScope } from './context';

const WAIT_MS = 5000;

export function InteractiveBlock({ m }: { m: Message }) {
  const { t } = useTranslation();
  const { orgId } = useChatScope();
  const toast = useToast();
  const [pending, setPending] = useState<string | null>(null);
  const [values, setValues] = useState<Record<string, string>>({});
  const version = `${m.edited_at ?? ''}|${JSON.stringify(m.interactive)}`;

  // The bot's edit (or the timeout) ends the wait.
  useEffect(() => setPending(null), [version]);
  useEffect(() => {
    if (!pending) return;
    const timer = setTimeout(() => setPending(null), WAIT_MS);
    return () => clearTimeout(timer);
  }, [pending]);

  const i = m.interactive;
  if (!i || m.deleted) return null;
  const buttons = i.buttons ?? [];

  const act = async (actionId: string, form?: Record<string, string>) => {
    setPending(actionId);
    try {
      await postMessageAction(orgId, m.conversation_id, m.id, { action_id: actionId, form: form ?? {} });
    } catch (e) {
      setPending(null);
      toast(errorMessage(t, e), 'error');
    }
  };

  return (
    <div className="msg-interactive" data-testid="message-interactive" aria-busy={pending ? true : undefined}>
      {buttons.length > 0 ? (
        <div className="msg-interactive-buttons">
          {buttons.map((b) => (
            <button
              key={b.action_id}
              type="button"
              className={`btn ${b.style === 'primary' ? 'btn-primary' : b.style === 'danger' ? 'btn-danger' : 'btn-secondary'}`}
              disabled={pending !== null}
              onClick={() => void act(b.action_id)}
              data-testid="interactive-button"
              data-action-id={b.action_id}
            >
              {pending === b.action_id ? <span className="spinner" aria-hidden="true" /> : null}
              {b.label}
            </button>
          ))}
        </div>
      ) : null}
      {i.form ? (
        <form
          className="msg-interactive-form"
          data-testid="interactive-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (i.form) void act(i.form.action_id, values);
          }}
        >
          {i.form.fields.map((f) => (
            <label key={f.id} className="field">
              <span>{f.label}</span>
              {f.kind === 'select' ? (
                <select value={values[f.id] ?? ''} onChange={(e) => setValues({ ...values, [f.id]: e.target.value })}>
                  <option value="">{t('chat.interactive.choose')}</option>
                  {(f.options ?? []).map((o) => (
                    <option key={o} value={o}>{o}</option>
                  ))}
                </select>
              ) : (
                <input value={values[f.id] ?? ''} maxLength={500} onChange={(e) => setValues({ ...values, [f.id]: e.target.value })} />
              )}
            </label>
          ))}
          <button type="submit" className="btn btn-primary" disabled={pending !== null}>
            {pending === i.form.action_id ? <span className="spinner" aria-hidden="true" /> : null}
            {i.form.submit_label}
          </button>
        </form>
      ) : null}
      {pending ? <span className="msg-interactive-wait" role="status">{t('chat.interactive.waiting')}</span> : null}
    </div>
  );
}
