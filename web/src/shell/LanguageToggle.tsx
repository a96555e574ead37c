// ID | EN switch. Signed in, the choice is also saved on the account (PATCH /me).

import { useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { patchMe } from '../api/endpoints';
import { keys } from '../api/queries';
import type { Language, Me } from '../api/types';
import { LANGUAGES, setLanguage, useLanguage } from '../i18n';

export function LanguageToggle({ signedIn }: { signedIn: boolean }) {
  const { t } = useTranslation();
  const current = useLanguage();
  const queryClient = useQueryClient();

  const choose = (lang: Language) => {
    if (lang === current) return;
    setLanguage(lang);
    if (signedIn) {
      patchMe({ language: lang })
        .then((me) => queryClient.setQueryData<Me | null>(keys.me, me))
        .catch(() => {
          /* the UI already switched; the account keeps its old language */
        });
    }
  };

  return (
    <div className="segmented" role="group" aria-label={t('shell.switchLanguage')} data-testid="lang-toggle">
      {LANGUAGES.map((lang) => (
        <button
          key={lang}
          type="button"
          className="segmented-item"
          aria-pressed={lang === current}
          onClick={() => choose(lang)}
          data-testid={`lang-toggle-${lang}`}
          lang={lang}
          title={t(`languages.${lang}`)}
        >
          {lang.toUpperCase()}
        </button>
      ))}
    </div>
  );
}
