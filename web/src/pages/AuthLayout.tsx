// The frame of the public screens (login, setup, invite, reset): a centred card.

import { useEffect, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { LanguageToggle } from '../shell/LanguageToggle';

export function AuthLayout({ title, subtitle, children, wide }: { title: string; subtitle?: ReactNode; children: ReactNode; wide?: boolean }) {
  const { t } = useTranslation();
  useEffect(() => {
    document.title = `${title} · Kantor`;
  }, [title]);
  return (
    <div className="auth-page">
      <header className="auth-top">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true">K</span>
          <span className="brand-name">{t('common.appName')}</span>
        </div>
        <LanguageToggle signedIn={false} />
      </header>
      <main id="main" className={`auth-card card${wide ? ' wide' : ''}`}>
        <h1>{title}</h1>
        {subtitle ? <p className="page-subtitle">{subtitle}</p> : null}
        {children}
      </main>
    </div>
  );
}
