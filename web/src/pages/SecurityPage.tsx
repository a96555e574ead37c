// `/security`: password, sessions, two-step verification, API tokens.

import { useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import * as ep from '../api/endpoints';
import { keys, useMe, useSessions, useTokens } from '../api/queries';
import type { ApiToken, CreatedApiToken, SessionInfo, TotpSetup } from '../api/types';
import { CopyField } from '../components/CopyButton';
import { ConfirmDialog } from '../components/Dialog';
import { Field } from '../components/Field';
import { FormError } from '../components/FormError';
import { EmptyState, Loading, PageHeader, QueryError } from '../components/Page';
import { PasswordInput } from '../components/PasswordInput';
import { QrCode } from '../components/QrCode';
import { useToast } from '../components/Toast';
import { useLanguage } from '../i18n';
import { formatDateTime } from '../lib/format';
import { endSession } from '../shell/session';

/** `JBSWY3DPEHPK3PXP` → `JBSW Y3DP EHPK 3PXP`. */
export function groupSecret(secret: string): string {
  return secret.replace(/\s+/g, '').replace(/(.{4})(?=.)/g, '$1 ');
}

/** A short, human name for a browser's user agent. */
export function describeUserAgent(ua: string | null): string | null {
  if (!ua) return null;
  const browser = /Edg\//.test(ua)
    ? 'Edge'
    : /OPR\//.test(ua)
      ? 'Opera'
      : /SamsungBrowser/.test(ua)
        ? 'Samsung Internet'
        : /Firefox\//.test(ua)
          ? 'Firefox'
          : /Chrome\//.test(ua)
            ? 'Chrome'
            : /Safari\//.test(ua)
              ? 'Safari'
              : null;
  const os = /Android/.test(ua)
    ? 'Android'
    : /iPhone|iPad/.test(ua)
      ? 'iOS'
      : /Windows/.test(ua)
        ? 'Windows'
        : /Mac OS X/.test(ua)
          ? 'macOS'
          : /Linux/.test(ua)
            ? 'Linux'
            : null;
  if (browser && os) return `${browser} · ${os}`;
  return browser ?? os ?? ua.slice(0, 60);
}

function PasswordSection() {
  const { t } = useTranslation();
  const notify = useToast();
  const queryClient = useQueryClient();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [mismatch, setMismatch] = useState(false);
  const mutation = useMutation({
    mutationFn: () => ep.changePassword(current, next),
    onSuccess: () => {
      setCurrent('');
      setNext('');
      setConfirm('');
      notify(t('security.passwordChanged'));
      void queryClient.invalidateQueries({ queryKey: keys.sessions });
    },
  });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    setMismatch(next !== confirm);
    if (next === confirm) mutation.mutate();
  };
  return (
    <form className="card stack" onSubmit={onSubmit} noValidate aria-labelledby="pw-title">
      <h2 id="pw-title" className="card-title">{t('security.passwordTitle')}</h2>
      <input type="email" autoComplete="username" hidden readOnly />
      <Field label={t('fields.current_password')}>
        <PasswordInput autoComplete="current-password" required value={current} onChange={(e) => setCurrent(e.target.value)} data-testid="security-current-password" />
      </Field>
      <div className="grid-2">
        <Field label={t('fields.new_password')} hint={t('auth.passwordHint')}>
          <PasswordInput autoComplete="new-password" required minLength={8} value={next} onChange={(e) => setNext(e.target.value)} data-testid="security-new-password" />
        </Field>
        <Field label={t('security.confirmPassword')} error={mismatch ? t('reset.mismatch') : undefined}>
          <PasswordInput autoComplete="new-password" required value={confirm} onChange={(e) => setConfirm(e.target.value)} data-testid="security-confirm-password" />
        </Field>
      </div>
      <FormError error={mutation.error} />
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={mutation.isPending} data-testid="security-change-password">
          {t('security.changePassword')}
        </button>
      </div>
    </form>
  );
}

function SessionsSection({ timeZone }: { timeZone: string }) {
  const { t } = useTranslation();
  const lang = useLanguage();
  const sessions = useSessions();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [confirmAll, setConfirmAll] = useState(false);
  const revoke = useMutation({
    mutationFn: (id: string) => ep.revokeSession(id),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: keys.sessions }),
  });
  const logoutAll = useMutation({
    mutationFn: ep.logoutAll,
    onSuccess: () => {
      endSession(queryClient);
      navigate('/login', { replace: true });
    },
  });
  const when = (iso: string) => formatDateTime(iso, timeZone, lang);
  const list: SessionInfo[] = (sessions.data ?? []).slice().sort((a, b) => Number(b.current) - Number(a.current));
  return (
    <section className="card stack" aria-labelledby="sessions-title">
      <div className="card-header">
        <h2 id="sessions-title" className="card-title">{t('security.sessionsTitle')}</h2>
        <button type="button" className="btn btn-danger-outline btn-sm" onClick={() => setConfirmAll(true)} data-testid="security-logout-all">
          {t('security.logoutEverywhere')}
        </button>
      </div>
      {sessions.isPending ? <Loading /> : null}
      {sessions.isError ? <QueryError error={sessions.error} onRetry={() => void sessions.refetch()} /> : null}
      <ul className="list">
        {list.map((s) => (
          <li key={s.id} className="list-row" data-testid="session-row" data-current={s.current ? 'true' : undefined}>
            <div className="list-main">
              <strong>
                {describeUserAgent(s.user_agent) ?? t('security.unknownDevice')}
                {s.current ? <span className="badge badge-accent">{t('security.thisSession')}</span> : null}
              </strong>
              <span className="muted small">
                {[s.ip, t('security.lastSeen', { when: when(s.last_seen_at) }), t('security.started', { when: when(s.created_at) })]
                  .filter(Boolean)
                  .join(' · ')}
              </span>
            </div>
            {!s.current ? (
              <button type="button" className="btn btn-secondary btn-sm" onClick={() => revoke.mutate(s.id)} disabled={revoke.isPending} data-testid="session-revoke">
                {t('security.endSession')}
              </button>
            ) : null}
          </li>
        ))}
      </ul>
      <FormError error={revoke.error} />
      <ConfirmDialog
        open={confirmAll}
        message={t('security.confirmLogoutEverywhere')}
        confirmLabel={t('security.logoutEverywhere')}
        danger
        busy={logoutAll.isPending}
        onConfirm={() => logoutAll.mutate()}
        onCancel={() => setConfirmAll(false)}
        error={<FormError error={logoutAll.error} />}
      />
    </section>
  );
}

function TotpSection({ enabled }: { enabled: boolean }) {
  const { t } = useTranslation();
  const notify = useToast();
  const queryClient = useQueryClient();
  const [setup, setSetup] = useState<TotpSetup | null>(null);
  const [code, setCode] = useState('');
  const start = useMutation({ mutationFn: ep.totpSetup, onSuccess: (s) => setSetup(s) });
  const done = (message: string) => {
    setSetup(null);
    setCode('');
    notify(message);
    void queryClient.invalidateQueries({ queryKey: keys.me });
  };
  const enable = useMutation({ mutationFn: () => ep.totpEnable(code.trim()), onSuccess: () => done(t('security.totpEnabled')) });
  const disable = useMutation({ mutationFn: () => ep.totpDisable(code.trim()), onSuccess: () => done(t('security.totpDisabled')) });

  const codeInput = (testId: string) => (
    <Field label={t('fields.code')}>
      <input
        type="text"
        inputMode="numeric"
        autoComplete="one-time-code"
        maxLength={6}
        className="code-input"
        value={code}
        onChange={(e) => setCode(e.target.value.replace(/\D/g, ''))}
        data-testid={testId}
      />
    </Field>
  );

  return (
    <section className="card stack" aria-labelledby="totp-title" data-testid="totp-section" data-enabled={enabled ? 'true' : 'false'}>
      <h2 id="totp-title" className="card-title">{t('security.totpTitle')}</h2>
      <p className="muted">{enabled ? t('security.totpOn') : t('security.totpOff')}</p>
      {!enabled && !setup ? (
        <div>
          <button type="button" className="btn btn-primary" onClick={() => start.mutate()} disabled={start.isPending} data-testid="totp-setup">
            {t('security.totpStart')}
          </button>
          <FormError error={start.error} />
        </div>
      ) : null}
      {!enabled && setup ? (
        <form
          className="stack"
          onSubmit={(e) => {
            e.preventDefault();
            enable.mutate();
          }}
        >
          <p>{t('security.totpScan')}</p>
          <div className="totp-setup">
            <QrCode text={setup.otpauth_url} label={t('security.totpQrAlt')} />
            <div className="stack-sm">
              <span className="muted small">{t('security.totpSecret')}</span>
              <code className="secret" data-testid="totp-secret">{groupSecret(setup.secret)}</code>
              <a href={setup.otpauth_url} className="small" data-testid="totp-link">
                {t('security.totpOpenLink')}
              </a>
            </div>
          </div>
          {codeInput('totp-enable-code')}
          <FormError error={enable.error} />
          <div className="form-actions">
            <button type="submit" className="btn btn-primary" disabled={enable.isPending || code.length !== 6} data-testid="totp-enable">
              {t('security.totpEnable')}
            </button>
          </div>
        </form>
      ) : null}
      {enabled ? (
        <form
          className="stack"
          onSubmit={(e) => {
            e.preventDefault();
            disable.mutate();
          }}
        >
          <p className="small">{t('security.totpDisableHint')}</p>
          {codeInput('totp-disable-code')}
          <FormError error={disable.error} />
          <div className="form-actions">
            <button type="submit" className="btn btn-danger-outline" disabled={disable.isPending || code.length !== 6} data-testid="totp-disable">
              {t('security.totpDisable')}
            </button>
          </div>
        </form>
      ) : null}
    </section>
  );
}

function TokensSection({ timeZone }: { timeZone: string }) {
  const { t } = useTranslation();
  const lang = useLanguage();
  const tokens = useTokens();
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [created, setCreated] = useState<CreatedApiToken | null>(null);
  const [revoking, setRevoking] = useState<ApiToken | null>(null);
  const create = useMutation({
    mutationFn: () => ep.createToken(name.trim()),
    onSuccess: (token) => {
      setCreated(token);
      setName('');
      void queryClient.invalidateQueries({ queryKey: keys.tokens });
    },
  });
  const revoke = useMutation({
    mutationFn: (id: string) => ep.revokeToken(id),
    onSuccess: () => {
      setRevoking(null);
      void queryClient.invalidateQueries({ queryKey: keys.tokens });
    },
  });
  return (
    <section className="card stack" aria-labelledby="tokens-title">
      <h2 id="tokens-title" className="card-title">{t('security.tokensTitle')}</h2>
      <p className="muted small">{t('security.tokensIntro')}</p>
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate();
        }}
      >
        <Field label={t('security.tokenName')} className="grow">
          <input type="text" required maxLength={100} placeholder={t('security.tokenNamePlaceholder')} value={name} onChange={(e) => setName(e.target.value)} data-testid="token-name" />
        </Field>
        <button type="submit" className="btn btn-primary" disabled={!name.trim() || create.isPending} data-testid="token-create">
          {t('security.createToken')}
        </button>
      </form>
      <FormError error={create.error} />
      {created ? (
        <div className="alert alert-success stack-sm" data-testid="token-created">
          <strong>{t('security.tokenCreated')}</strong>
          <CopyField value={created.token} label={created.name} testId="token-value" copyTestId="token-copy" />
        </div>
      ) : null}
      {tokens.isPending ? <Loading /> : null}
      {tokens.isError ? <QueryError error={tokens.error} onRetry={() => void tokens.refetch()} /> : null}
      {tokens.data && tokens.data.length === 0 ? <EmptyState>{t('security.tokensEmpty')}</EmptyState> : null}
      <ul className="list">
        {(tokens.data ?? []).map((tok) => (
          <li key={tok.id} className="list-row" data-testid="token-row">
            <div className="list-main">
              <strong>{tok.name}</strong>
              <span className="muted small">
                {[
                  tok.created_at ? t('security.createdAt', { when: formatDateTime(tok.created_at, timeZone, lang) }) : null,
                  t('security.lastUsed', { when: tok.last_used_at ? formatDateTime(tok.last_used_at, timeZone, lang) : t('common.never') }),
                ]
                  .filter(Boolean)
                  .join(' · ')}
              </span>
            </div>
            <button type="button" className="btn btn-secondary btn-sm" onClick={() => setRevoking(tok)} data-testid="token-revoke">
              {t('security.revoke')}
            </button>
          </li>
        ))}
      </ul>
      <ConfirmDialog
        open={!!revoking}
        message={t('security.confirmRevokeToken', { name: revoking?.name ?? '' })}
        confirmLabel={t('security.revoke')}
        danger
        busy={revoke.isPending}
        onConfirm={() => revoking && revoke.mutate(revoking.id)}
        onCancel={() => setRevoking(null)}
        error={<FormError error={revoke.error} />}
      />
    </section>
  );
}

export default function SecurityPage() {
  const { t } = useTranslation();
  const me = useMe().data;
  if (!me) return null;
  return (
    <div className="stack-lg narrow-page">
      <PageHeader title={t('security.title')} subtitle={t('security.subtitle')} />
      <PasswordSection />
      <TotpSection enabled={me.user.totp_enabled === true} />
      <SessionsSection timeZone={me.user.time_zone} />
      <TokensSection timeZone={me.user.time_zone} />
    </div>
  );
}
