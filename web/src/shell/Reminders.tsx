// Reminders to read an announcement (`chat.reminder`, DingTalk's "Ding"), shown over whatever
// screen is open until read or dismissed; "Baca" opens the message in its conversation.

import { useSyncExternalStore } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import { Icon } from '../components/Icon';
import { dismissReminder, reminderStore } from '../lib/chatCache';
import { orgPath } from './nav';

export function Reminders() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const reminders = useSyncExternalStore(reminderStore.subscribe, reminderStore.get);
  if (!reminders.length) return null;
  return (
    <div className="reminders" role="region" aria-label={t('chat.readStatusTitle')}>
      {reminders.map((r) => (
        <div key={r.message_id} className="reminder" role="alert" data-testid="reminder">
          <Icon name="bell" size={18} />
          <div className="min-w-0 grow">
            <strong className="block">{t('chat.reminderFrom', { name: r.by.name })}</strong>
            <span className="block truncate small">{r.excerpt}</span>
          </div>
          <button
            type="button"
            className="btn btn-primary btn-sm"
            onClick={() => {
              dismissReminder(r.message_id);
              // The conversation opens at the first unread message: the announcement.
              navigate(`${orgPath(r.orgId, 'chat')}/${encodeURIComponent(r.conversation_id)}`);
            }}
            data-testid="reminder-open"
          >
            {t('chat.reminderOpen')}
          </button>
          <button type="button" className="btn btn-ghost btn-icon btn-sm" onClick={() => dismissReminder(r.message_id)} aria-label={t('common.close')} data-testid="reminder-dismiss">
            <Icon name="close" size={16} />
          </button>
        </div>
      ))}
    </div>
  );
}
