// `/reset/:token`: choose a new password from a reset link an admin made.

import { useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { getPasswordReset, postPasswordReset } from '../api/endpoints';
import { Field } from '../components/Field';
import { FormError } from '../components/FormError';
import { Loading } from '../components/Page';
import { PasswordInput } from '../components/PasswordInput';
import { errorMessage } from '../lib/errors';
import { AuthLayout } from './AuthLayout';

export function ResetPage() {
  const { t } = useTranslation();
  const { token = '' } = useParams();
  const info = useQuery({ queryKey: ['password-reset', token], queryFn: () => getPasswordReset(token), retry: false });
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [mismatch, setMismatch] = useState(false);
  const mutation = useMutation({ mutationFn: () => postPasswordReset(token, password) });

  if (info.isPending) {
    return (
      <AuthLayout title={t('reset.title')}>
        <Loading />
      </AuthLayout>
    );
  }
  if (info.isError) {
    return (
      <AuthLayout title={t('reset.invalidTitle')}>
        <div className="stack" data-testid="reset-invalid">
          <p className="alert alert-warning">{errorMessage(t, info.error)}</p>
          <p className="muted">{t('reset.invalidHint')}</p>
          <Link to="/login" className="btn btn-secondary btn-block">
            {t('setup.toLogin')}
          </Link>
        </div>
      </AuthLayout>
    );
  }
  if (mutation.isSuccess) {
    return (
      <AuthLayout title={t('reset.title')}>
        <div className="stack" data-testid="reset-done">
          <p className="alert alert-success">{t('reset.done')}</p>
          <Link to="/login" className="btn btn-primary btn-block">
            {t('setup.toLogin')}
          </Link>
        </div>
      </AuthLayout>
    );
  }

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    if (password !== confirm) {
      setMismatch(true);
      return;
    }
    setMismatch(false);
    mutation.mutate();
  };

  return (
    <AuthLayout title={t('reset.title')} subtitle={info.data ? t('reset.forEmail', { email: info.data.email }) : undefined}>
      <form className="stack" onSubmit={onSubmit} noValidate>
        <input type="email" autoComplete="username" value={info.data?.email ?? ''} readOnly hidden />
        <Field label={t('fields.new_password')} hint={t('auth.passwordHint')}>
          <PasswordInput autoComplete="new-password" required minLength={8} value={password} onChange={(e) => setPassword(e.target.value)} data-testid="reset-password" autoFocus />
        </Field>
        <Field label={t('reset.confirm')} error={mismatch ? t('reset.mismatch') : undefined}>
          <PasswordInput autoComplete="new-password" required value={confirm} onChange={(e) => setConfirm(e.target.value)} data-testid="reset-password-confirm" />
        </Field>
        <FormError error={mutation.error} testId="reset-error" />
        <button type="submit" className="btn btn-primary btn-block" disabled={mutation.isPending} data-testid="reset-submit">
          {t('reset.submit')}
        </button>
      </form>
    </AuthLayout>
  );
}
