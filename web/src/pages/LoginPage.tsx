// `/login`: email and password; a 6-digit code when the account has two-step verification.

import { useState, type FormEvent } from 'react';
import { Navigate, useNavigate, useSearchParams } from 'react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { isApiError } from '../api/client';
import { getSetupStatus, login } from '../api/endpoints';
import { keys, useMe } from '../api/queries';
import { Field } from '../components/Field';
import { FormError } from '../components/FormError';
import { PasswordInput } from '../components/PasswordInput';
import { afterLoginPath, startSession } from '../shell/session';
import { AuthLayout } from './AuthLayout';

export function LoginPage() {
  const { t } = useTranslation();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const me = useMe();
  const setup = useQuery({ queryKey: keys.setup, queryFn: getSetupStatus, retry: false, staleTime: Infinity });

  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [needsCode, setNeedsCode] = useState(false);

  const mutation = useMutation({
    mutationFn: () => login({ email: email.trim(), password, ...(needsCode ? { totp_code: code.trim() } : {}) }),
    onSuccess: (session) => {
      startSession(queryClient, session);
      navigate(afterLoginPath(params.get('next')), { replace: true });
    },
    onError: (error) => {
      if (isApiError(error, 'auth.totp_required')) setNeedsCode(true);
    },
  });

  if (setup.data?.needed) return <Navigate to="/setup" replace />;
  if (me.data) return <Navigate to={afterLoginPath(params.get('next'))} replace />;

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    mutation.mutate();
  };
  // "Enter your code" is a prompt, not an error, the first time round.
  const shownError = isApiError(mutation.error, 'auth.totp_required') ? null : mutation.error;

  return (
    <AuthLayout title={needsCode ? t('auth.totpTitle') : t('auth.loginTitle')} subtitle={needsCode ? t('auth.totpHint') : t('auth.loginSubtitle')}>
      <form className="stack" onSubmit={onSubmit} noValidate data-testid="login-form">
        {!needsCode ? (
          <>
            <Field label={t('fields.email')}>
              <input
                type="email"
                autoComplete="username"
                inputMode="email"
                required
                value={email}
                onChange={(e) => setEmail(e.target.value)}
                data-testid="login-email"
                autoFocus
              />
            </Field>
            <Field label={t('fields.password')}>
              <PasswordInput
                autoComplete="current-password"
                required
                value={password}
                onChange={(e) => setPassword(e.target.value)}
                data-testid="login-password"
              />
            </Field>
          </>
        ) : (
          <Field label={t('fields.totp_code')}>
            <input
              type="text"
              inputMode="numeric"
              autoComplete="one-time-code"
              pattern="[0-9]{6}"
              maxLength={6}
              required
              className="code-input"
              value={code}
              onChange={(e) => setCode(e.target.value.replace(/\D/g, ''))}
              data-testid="login-totp"
              autoFocus
            />
          </Field>
        )}
        <FormError error={shownError} testId="login-error" />
        <button type="submit" className="btn btn-primary btn-block" disabled={mutation.isPending} data-testid="login-submit">
          {mutation.isPending ? t('auth.signingIn') : t('auth.login')}
        </button>
        {needsCode ? (
          <button
            type="button"
            className="btn btn-ghost btn-block"
            onClick={() => {
              setNeedsCode(false);
              setCode('');
              mutation.reset();
            }}
          >
            {t('auth.totpBack')}
          </button>
        ) : (
          <p className="muted small">{t('auth.forgot')}</p>
        )}
      </form>
    </AuthLayout>
  );
}
