// `/o/:orgId/invites`: create an invitation link (optionally for one email), list, copy, revoke.

import { useState, type FormEvent } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import * as ep from '../../api/endpoints';
import { keys, useInvites, useUnits } from '../../api/queries';
import type { Invite, InviteState, Role } from '../../api/types';
import { CopyButton, CopyField } from '../../components/CopyButton';
import { ConfirmDialog } from '../../components/Dialog';
import { Field } from '../../components/Field';
import { FormError, fieldError } from '../../components/FormError';
import { EmptyState, Loading, PageHeader, QueryError } from '../../components/Page';
import { RoleSelect, UnitSelect } from '../../components/Selects';
import { useLanguage } from '../../i18n';
import { formatDateTime } from '../../lib/format';
import { assignableRoles } from '../../lib/roles';
import { useOrgScope } from '../../shell/OrgContext';
import { absoluteLink } from '../../lib/links';
import { unitNameOf } from '../../lib/unitTree';

const EXPIRY_OPTIONS = [
  { hours: 24, label: 'invites.hours24' },
  { hours: 72, label: 'invites.hours72' },
  { hours: 168, label: 'invites.days7' },
  { hours: 720, label: 'invites.days30' },
];

const STATE_LABEL: Record<InviteState, string> = {
  open: 'invites.statusPending',
  used: 'invites.statusUsed',
  revoked: 'invites.statusRevoked',
  expired: 'invites.statusExpired',
};

export default function InvitesPage() {
  const { t } = useTranslation();
  const lang = useLanguage();
  const queryClient = useQueryClient();
  const { orgId, membership, me } = useOrgScope();
  const invites = useInvites(orgId);
  const units = useUnits(orgId);
  const roles = assignableRoles(membership.role);
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('member');
  const [unitId, setUnitId] = useState('');
  const [hours, setHours] = useState(168);
  const [created, setCreated] = useState<Invite | null>(null);
  const [revoking, setRevoking] = useState<Invite | null>(null);
  const origin = window.location.origin;

  const create = useMutation({
    mutationFn: () =>
      ep.createInvite(orgId, {
        ...(email.trim() ? { email: email.trim() } : {}),
        role,
        ...(unitId ? { unit_id: unitId } : {}),
        expires_in_hours: hours,
      }),
    onSuccess: (invite) => {
      setCreated(invite);
      setEmail('');
      void queryClient.invalidateQueries({ queryKey: keys.invites(orgId) });
    },
  });
  const revoke = useMutation({
    mutationFn: (invite: Invite) => ep.revokeInvite(orgId, invite.id),
    onSuccess: () => {
      setRevoking(null);
      void queryClient.invalidateQueries({ queryKey: keys.invites(orgId) });
    },
  });

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  const err = (field: string) => fieldError(create.error, field, t);
  const list = (invites.data ?? []).filter((i) => i.state === 'open');

  return (
    <div className="stack-lg">
      <PageHeader title={t('invites.title')} subtitle={t('invites.subtitle')} />

      <form className="card stack" onSubmit={onSubmit} noValidate aria-labelledby="invite-create-title" data-testid="invite-form">
        <h2 id="invite-create-title" className="card-title">{t('invites.createTitle')}</h2>
        <div className="grid-2">
          <Field label={t('fields.email')} optional optionalLabel={t('common.optional')} hint={t('invites.emailHint')} error={err('email')}>
            <input type="email" inputMode="email" autoComplete="off" value={email} onChange={(e) => setEmail(e.target.value)} data-testid="invite-email" />
          </Field>
          <Field label={t('fields.role')} error={err('role')}>
            <RoleSelect roles={roles} value={role} onChange={(e) => setRole(e.target.value as Role)} data-testid="invite-role" />
          </Field>
          <Field label={t('fields.unit')} optional optionalLabel={t('common.optional')} error={err('unit_id')}>
            <UnitSelect units={units.data ?? []} emptyLabel={t('members.noUnit')} value={unitId} onChange={(e) => setUnitId(e.target.value)} data-testid="invite-unit" />
          </Field>
          <Field label={t('invites.expiry')} error={err('expires_in_hours')}>
            <select value={hours} onChange={(e) => setHours(Number(e.target.value))} data-testid="invite-expiry">
              {EXPIRY_OPTIONS.map((o) => (
                <option key={o.hours} value={o.hours}>
                  {t(o.label)}
                </option>
              ))}
            </select>
          </Field>
        </div>
        <FormError error={create.error} testId="invite-error" />
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={create.isPending} data-testid="invite-create">
            {create.isPending ? t('invites.creating') : t('invites.create')}
          </button>
        </div>
        {created?.url ? (
          <div className="alert alert-success stack-sm" data-testid="invite-created" aria-live="polite">
            <strong>{t('invites.created')}</strong>
            <CopyField value={absoluteLink(created.url, origin)} label={t('invites.copyLink')} testId="invite-link" copyTestId="invite-copy" />
          </div>
        ) : null}
      </form>

      <section className="card flush" aria-labelledby="invite-list-title">
        <div className="card-header padded">
          <h2 id="invite-list-title" className="card-title">{t('invites.listTitle')}</h2>
        </div>
        {invites.isPending ? <Loading /> : null}
        {invites.isError ? <QueryError error={invites.error} onRetry={() => void invites.refetch()} /> : null}
        {invites.isSuccess && list.length === 0 ? <EmptyState>{t('invites.empty')}</EmptyState> : null}
        <ul className="rows" data-testid="invite-list">
          {list.map((inv) => (
            <li key={inv.id} className="list-row padded" data-testid="invite-row" data-invite-id={inv.id} data-email={inv.email ?? ''}>
              <div className="list-main">
                <strong className="truncate">{inv.email ?? <span className="muted">{t('invites.anyone')}</span>}</strong>
                <span className="muted small">
                  {[
                    t(`roles.${inv.role}`),
                    unitNameOf(units.data, inv.unit_id),
                    `${t('invites.expires')} ${formatDateTime(inv.expires_at, me.user.time_zone, lang)}`,
                    inv.state !== 'open' ? t(STATE_LABEL[inv.state]) : null,
                  ]
                    .filter(Boolean)
                    .join(' · ')}
                </span>
              </div>
              <div className="button-row">
                {inv.url ? (
                  <CopyButton text={absoluteLink(inv.url, origin)} label={t('invites.copyLink')} className="btn btn-secondary btn-sm" testId="invite-row-copy" />
                ) : null}
                <button type="button" className="btn btn-danger-outline btn-sm" onClick={() => setRevoking(inv)} data-testid="invite-revoke">
                  {t('invites.revoke')}
                </button>
              </div>
            </li>
          ))}
        </ul>
      </section>

      <ConfirmDialog
        open={!!revoking}
        message={t('invites.confirmRevoke')}
        confirmLabel={t('invites.revoke')}
        danger
        busy={revoke.isPending}
        onConfirm={() => revoking && revoke.mutate(revoking)}
        onCancel={() => setRevoking(null)}
        error={<FormError error={revoke.error} />}
      />
    </div>
  );
}
