// The 404 page, inside the shell or on its own.

import { Link } from 'react-router';
import { useTranslation } from 'react-i18next';
import { PageHeader } from '../components/Page';

export function NotFoundPage() {
  const { t } = useTranslation();
  return (
    <div className="not-found" data-testid="not-found">
      <p className="not-found-code" aria-hidden="true">404</p>
      <PageHeader title={t('notFound.title')} subtitle={t('notFound.body')} />
      <Link to="/" className="btn btn-primary">
        {t('notFound.home')}
      </Link>
    </div>
  );
}
