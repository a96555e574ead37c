// `/invite/:token`: join an organisation from an invitation link.

import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { isApiError } from '../api/client';
import { acceptInvite, getInvite } from '../api/endpoints';
import type { Language } from '../api/types';
import { Field } from '../components/Field';
import { FormError, fieldError } from '../components/FormError';
import { Loading } from '../components/Page';
import { PasswordInput } from '../components/PasswordInput';
import { LanguageSelect, TimeZoneSelect } from '../components/Selects';
import { isLanguage, setLanguage, useLanguage } from '../i18n';
import { errorMessage } from '../lib/errors';
import { browserTimeZone, formatDate, formatTime } from '../lib/format';
import { startSession } from '../shell/session';
import { AuthLayout } from './AuthLayout';

export function InvitePage() {
  const { t } = useTranslation();
  const { token = '' } = useParams();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const language = useLanguage();
  const invite = useQuery({ queryKey: ['invite', token], queryFn: () => getInvite(token), retry: false });

  const [form, setForm] = useState({ name: '', email: '', password: '', time_zone: browserTimeZone() });
  const set = (key: keyof typeof form) => (e: { target: { value: string } }) =>
    setForm((f) => ({ ...f, [key]: e.target.value }));

  const mutation = useMutation({
    mutationFn: () =>
      acceptInvite(token, {
        name: form.name.trim(),
        ...(invite.data?.email ? {} : { email: form.email.trim() }),
        password: form.password,
        time_zone: form.time_zone,
        language,
      }),
    onSuccess: (session) => {
      startSession(queryClient, session);
      navigate('/', { replace: true });
    },
  });

  if (invite.isPending) {
    return (
      <AuthLayout title={t('common.appName')}>
        <Loading />
      </AuthLayout>
    );
  }
  const gone = invite.error ?? (isApiError(mutation.error) && mutation.error.status === 410 ? mutation.error : null);
  if (gone || !invite.data) {
    const unusable = isApiError(gone) && gone.status === 410;
    return (
      <AuthLayout title={unusable ? t('invite.unusableTitle') : t('invite.notFoundTitle')}>
        <div className="stack" data-testid="invite-unusable" data-code={isApiError(gone) ? gone.code : undefined}>
          <p className="alert alert-warning">{errorMessage(t, gone)}</p>
          <p className="muted">{t('invite.unusableHint')}</p>
          <Link to="/login" className="btn btn-secondary btn-block">
            {t('setup.toLogin')}
          </Link>
        </div>
      </AuthLayout>
    );
  }

  const data = invite.data;
  const zone = form.time_zone;
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    mutation.mutate();
  };
  const err = (field: string) => fieldError(mutation.error, field, t);

  return (
    <AuthLayout
      title={t('invite.title', { org: data.org_name })}
      subtitle={
        <>
          {t('invite.roleLine', { role: t(`roles.${data.role}`) })}{' '}
          {t('invite.expiresLine', { when: `${formatDate(data.expires_at, zone, language)} ${formatTime(data.expires_at, zone, language)}` })}
        </>
      }
    >
      <form className="stack" onSubmit={onSubmit} noValidate data-testid="invite-form">
        <Field label={t('fields.name')} error={err('name')}>
          <input type="text" autoComplete="name" required value={form.name} onChange={set('name')} data-testid="invite-accept-name" autoFocus />
        </Field>
        {data.email ? (
          <Field label={t('fields.email')}>
            <input type="email" value={data.email} readOnly disabled data-testid="invite-accept-email" />
          </Field>
        ) : (
          <Field label={t('fields.email')} error={err('email')}>
            <input type="email" inputMode="email" autoComplete="email" required value={form.email} onChange={set('email')} data-testid="invite-accept-email" />
          </Field>
        )}
        {data.existing_account ? (
          <p className="alert alert-info" data-testid="invite-existing-account">
            {t('invite.existingAccount')}
          </p>
        ) : null}
        <Field label={t('fields.password')} hint={data.existing_account ? undefined : t('auth.passwordHint')} error={err('password')}>
          <PasswordInput autoComplete={data.existing_account ? 'current-password' : 'new-password'} required minLength={8} value={form.password} onChange={set('password')} data-testid="invite-accept-password" />
        </Field>
        <div className="grid-2">
          <Field label={t('fields.time_zone')} error={err('time_zone')}>
            <TimeZoneSelect value={form.time_zone} onChange={set('time_zone')} data-testid="invite-accept-time-zone" />
          </Field>
          <Field label={t('fields.language')}>
            <LanguageSelect
              value={language}
              onChange={(e) => isLanguage(e.target.value) && setLanguage(e.target.value as Language)}
              data-testid="invite-accept-language"
            />
          </Field>
        </div>
        <FormError error={mutation.error} testId="invite-accept-error" />
        <button type="submit" className="btn btn-primary btn-block" disabled={mutation.isPending} data-testid="invite-accept-submit">
          {mutation.isPending ? t('invite.submitting') : t('invite.submit')}
        </button>
      </form>
    </AuthLayout>
  );
}
