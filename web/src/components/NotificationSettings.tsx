// The "Notifikasi" card on the profile page: turn this browser's notifications (Web Push to the
// installed app, and browser notifications while the tab is hidden) on or off.

import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { FormError } from './FormError';
import { currentPushState, disablePush, enablePush, type PushState } from '../lib/notifications';

export function NotificationSettings() {
  const { t } = useTranslation();
  const [state, setState] = useState<PushState | 'loading'>('loading');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    let live = true;
    currentPushState()
      .then((s) => live && setState(s))
      .catch(() => live && setState('off'));
    return () => {
      live = false;
    };
  }, []);

  const run = async (action: () => Promise<PushState>) => {
    setBusy(true);
    setError(null);
    try {
      setState(await action());
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const label = state === 'loading' ? t('common.loading') : t(`notifications.state.${state}`);
  return (
    <section className="card stack-sm" aria-labelledby="notifications-title" data-testid="notification-settings">
      <h2 id="notifications-title" className="card-title">{t('notifications.title')}</h2>
      <p className="muted small">{t('notifications.hint')}</p>
      <p data-testid="notification-state">
        <strong>{label}</strong>
      </p>
      <div>
        {state === 'off' ? (
          <button type="button" className="btn btn-primary" disabled={busy} onClick={() => void run(enablePush)} data-testid="notification-enable">
            {t('notifications.enable')}
          </button>
        ) : null}
        {state === 'on' ? (
          <button type="button" className="btn btn-secondary" disabled={busy} onClick={() => void run(disablePush)} data-testid="notification-disable">
            {t('notifications.disable')}
          </button>
        ) : null}
      </div>
      <FormError error={error} testId="notification-error" />
    </section>
  );
}
