// `/setup?token=…`: the first run — create the organisation and its owner.

import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { getSetupStatus, postSetup } from '../api/endpoints';
import { keys } from '../api/queries';
import type { Language } from '../api/types';
import { Field } from '../components/Field';
import { FormError, fieldError } from '../components/FormError';
import { PasswordInput } from '../components/PasswordInput';
import { LanguageSelect, TimeZoneSelect } from '../components/Selects';
import { isLanguage, setLanguage, useLanguage } from '../i18n';
import { browserTimeZone } from '../lib/format';
import { startSession } from '../shell/session';
import { AuthLayout } from './AuthLayout';

export function SetupPage() {
  const { t } = useTranslation();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const language = useLanguage();
  const status = useQuery({ queryKey: keys.setup, queryFn: getSetupStatus, retry: false });

  const [form, setForm] = useState({
    token: params.get('token') ?? '',
    org_name: '',
    name: '',
    email: '',
    password: '',
    time_zone: browserTimeZone(),
  });
  const set = (key: keyof typeof form) => (e: { target: { value: string } }) =>
    setForm((f) => ({ ...f, [key]: e.target.value }));

  const mutation = useMutation({
    mutationFn: () =>
      postSetup({
        ...form,
        token: form.token.trim(),
        org_name: form.org_name.trim(),
        name: form.name.trim(),
        email: form.email.trim(),
        language,
      }),
    onSuccess: (session) => {
      startSession(queryClient, session);
      queryClient.setQueryData(keys.setup, { needed: false });
      navigate('/', { replace: true });
    },
  });

  if (status.data && !status.data.needed) {
    return (
      <AuthLayout title={t('setup.alreadyDone')}>
        <Link to="/login" className="btn btn-primary btn-block" data-testid="setup-to-login">
          {t('setup.toLogin')}
        </Link>
      </AuthLayout>
    );
  }

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    mutation.mutate();
  };
  const err = (field: string) => fieldError(mutation.error, field, t);

  return (
    <AuthLayout title={t('setup.title')} subtitle={t('setup.intro')} wide>
      <form className="stack" onSubmit={onSubmit} noValidate data-testid="setup-form">
        <Field label={t('fields.token')} hint={t('setup.tokenHint')} error={err('token')}>
          <input type="text" autoComplete="off" spellCheck={false} required value={form.token} onChange={set('token')} data-testid="setup-token" className="mono" />
        </Field>
        <Field label={t('fields.org_name')} hint={t('setup.orgNameHint')} error={err('org_name')}>
          <input type="text" autoComplete="organization" required value={form.org_name} onChange={set('org_name')} data-testid="setup-org-name" />
        </Field>
        <div className="grid-2">
          <Field label={t('setup.yourName')} error={err('name')}>
            <input type="text" autoComplete="name" required value={form.name} onChange={set('name')} data-testid="setup-name" />
          </Field>
          <Field label={t('fields.email')} error={err('email')}>
            <input type="email" inputMode="email" autoComplete="email" required value={form.email} onChange={set('email')} data-testid="setup-email" />
          </Field>
        </div>
        <Field label={t('fields.password')} hint={t('auth.passwordHint')} error={err('password')}>
          <PasswordInput autoComplete="new-password" required minLength={8} value={form.password} onChange={set('password')} data-testid="setup-password" />
        </Field>
        <div className="grid-2">
          <Field label={t('fields.time_zone')} error={err('time_zone')}>
            <TimeZoneSelect value={form.time_zone} onChange={set('time_zone')} data-testid="setup-time-zone" />
          </Field>
          <Field label={t('fields.language')} error={err('language')}>
            <LanguageSelect
              value={language}
              onChange={(e) => isLanguage(e.target.value) && setLanguage(e.target.value as Language)}
              data-testid="setup-language"
            />
          </Field>
        </div>
        <FormError error={mutation.error} testId="setup-error" />
        <button type="submit" className="btn btn-primary btn-block" disabled={mutation.isPending} data-testid="setup-submit">
          {mutation.isPending ? t('setup.submitting') : t('setup.submit')}
        </button>
      </form>
    </AuthLayout>
  );
}
