// The error line of a form: the translated code, prefixed by the field when the server named one.

import { Link } from 'react-router';
import { useTranslation } from 'react-i18next';
import { errorMessage, fieldLabel } from '../lib/errors';
import { ApiError } from '../api/client';
import { Icon } from './Icon';

export function FormError({ error, testId = 'form-error' }: { error: unknown; testId?: string }) {
  const { t } = useTranslation();
  if (!error) return null;
  const message = errorMessage(t, error);
  const text =
    error instanceof ApiError && error.field
      ? t('errors.fieldPrefix', { field: fieldLabel(t, error.field), message })
      : message;
  return (
    <div className="alert alert-error" role="alert" data-testid={testId} data-code={error instanceof ApiError ? error.code : undefined}>
      <Icon name="alert" size={18} />
      <span>
        {text}
        {error instanceof ApiError && error.code === 'auth.totp_setup_required' ? (
          <>
            {' '}
            <Link to="/security" data-testid="totp-setup-required-link">
              {t('nav.security')}
            </Link>
          </>
        ) : null}
      </span>
    </div>
  );
}

/** The error to show under one field: only when the server named that field. */
export function fieldError(error: unknown, field: string, t: (k: string) => string): string | undefined {
  if (error instanceof ApiError && error.field === field) {
    const key = `errors.${error.code}`;
    const msg = t(key);
    return msg === key ? t('errors.generic') : msg;
  }
  return undefined;
}
