// The detail drawer of one member: contact, employment data, role, account actions.

import { useEffect, useState, type FormEvent } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import * as ep from '../../api/endpoints';
import { keys, useMember } from '../../api/queries';
import type { Member, MemberPatch, PasswordResetLink, Role, Unit } from '../../api/types';
import { Avatar } from '../../components/Avatar';
import { CopyField } from '../../components/CopyButton';
import { ConfirmDialog, Dialog } from '../../components/Dialog';
import { Field } from '../../components/Field';
import { FormError, fieldError } from '../../components/FormError';
import { Loading, QueryError } from '../../components/Page';
import { RoleSelect, UnitSelect } from '../../components/Selects';
import { useToast } from '../../components/Toast';
import { useLanguage } from '../../i18n';
import { formatDateTime } from '../../lib/format';
import { assignableRoles, canChangeRole, canManageAccount, isPeopleManager } from '../../lib/roles';
import { useOrgScope } from '../../shell/OrgContext';
import { absoluteLink } from '../../lib/links';

/** Only the fields that changed; an empty string clears (the server's convention). */
export function memberPatch(before: Member, form: { role: Role; unit_id: string; position: string; employee_number: string }): MemberPatch {
  const patch: MemberPatch = {};
  if (form.role !== before.role) patch.role = form.role;
  if (form.unit_id !== (before.unit_id ?? '')) patch.unit_id = form.unit_id;
  if (form.position.trim() !== (before.position ?? '')) patch.position = form.position.trim();
  if (form.employee_number.trim() !== (before.employee_number ?? '')) patch.employee_number = form.employee_number.trim();
  return patch;
}

export function MemberDrawer({ userId, units, onClose }: { userId: string; units: Unit[]; onClose: () => void }) {
  const { t } = useTranslation();
  const lang = useLanguage();
  const notify = useToast();
  const queryClient = useQueryClient();
  const { orgId, membership, me } = useOrgScope();
  const member = useMember(orgId, userId);
  const actorRole = membership.role;
  const [form, setForm] = useState({ role: 'member' as Role, unit_id: '', position: '', employee_number: '' });
  const [confirmDeactivate, setConfirmDeactivate] = useState(false);
  const [resetLink, setResetLink] = useState<PasswordResetLink | null>(null);

  useEffect(() => {
    const m = member.data;
    if (m) setForm({ role: m.role, unit_id: m.unit_id ?? '', position: m.position ?? '', employee_number: m.employee_number ?? '' });
    setResetLink(null);
  }, [member.data]);

  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: keys.members(orgId) });
    void queryClient.invalidateQueries({ queryKey: keys.units(orgId) });
  };
  const save = useMutation({
    mutationFn: (patch: MemberPatch) => ep.patchMember(orgId, userId, patch),
    onSuccess: (updated) => {
      if (updated && typeof updated === 'object') queryClient.setQueryData(keys.member(orgId, userId), updated);
      refresh();
      if (userId === me.user.id) void queryClient.invalidateQueries({ queryKey: keys.me });
      notify(t('common.saved'));
    },
  });
  const setActive = useMutation({
    mutationFn: (active: boolean) => (active ? ep.reactivateMember(orgId, userId) : ep.deactivateMember(orgId, userId)),
    onSuccess: (_r, active) => {
      setConfirmDeactivate(false);
      refresh();
      notify(active ? t('members.reactivated') : t('members.deactivated'));
    },
  });
  const reset = useMutation({ mutationFn: () => ep.createPasswordReset(orgId, userId), onSuccess: setResetLink });

  const m = member.data;
  const editPeople = isPeopleManager(actorRole);
  // The member's own role first, then every role this admin may move them to.
  const roles: Role[] = m
    ? [m.role, ...assignableRoles(actorRole).filter((r) => r !== m.role && canChangeRole(actorRole, m.role, r))]
    : [];
  const editRole = roles.length > 1;
  const manageAccount = !!m && canManageAccount(actorRole, m.role) && m.id !== me.user.id;
  const err = (field: string) => fieldError(save.error, field, t);

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    if (!m) return;
    const patch = memberPatch(m, form);
    if (Object.keys(patch).length) save.mutate(patch);
  };

  return (
    <Dialog open onClose={onClose} title={m?.name ?? t('members.detailTitle')} variant="drawer" testId="member-drawer">
      {member.isPending ? <Loading /> : null}
      {member.isError ? <QueryError error={member.error} onRetry={() => void member.refetch()} /> : null}
      {m ? (
        <div className="stack">
          <div className="person-head">
            <Avatar who={m} size={56} />
            <div className="min-w-0">
              <span className="muted small block truncate">{m.position ?? ''}</span>
              <span className="cell-badges">
                <span className={`badge badge-role-${m.role}`}>{t(`roles.${m.role}`)}</span>
                <span className={`badge badge-status-${m.status}`}>{t(`status.${m.status}`)}</span>
              </span>
            </div>
          </div>

          <dl className="details">
            <div>
              <dt>{t('fields.email')}</dt>
              <dd>
                <a href={`mailto:${m.email}`}>{m.email}</a>
              </dd>
            </div>
            <div>
              <dt>{t('fields.phone')}</dt>
              <dd>{m.phone ? <a href={`tel:${m.phone}`}>{m.phone}</a> : t('common.none')}</dd>
            </div>
          </dl>

          <form className="stack" onSubmit={onSubmit} noValidate data-testid="member-form">
            <h3 className="subheading">{t('members.work')}</h3>
            {!editPeople ? <p className="muted small">{t('members.readOnly')}</p> : null}
            <Field label={t('fields.unit')} error={err('unit_id')}>
              <UnitSelect units={units} emptyLabel={t('members.noUnit')} value={form.unit_id} disabled={!editPeople} onChange={(e) => setForm({ ...form, unit_id: e.target.value })} data-testid="member-unit" />
            </Field>
            <div className="grid-2">
              <Field label={t('fields.position')} error={err('position')}>
                <input type="text" value={form.position} disabled={!editPeople} onChange={(e) => setForm({ ...form, position: e.target.value })} data-testid="member-position" />
              </Field>
              <Field label={t('fields.employee_number')} error={err('employee_number')}>
                <input type="text" inputMode="numeric" value={form.employee_number} disabled={!editPeople} onChange={(e) => setForm({ ...form, employee_number: e.target.value })} data-testid="member-employee-number" />
              </Field>
            </div>
            <Field label={t('fields.role')} error={err('role')}>
              <RoleSelect roles={roles} value={form.role} disabled={!editRole} onChange={(e) => setForm({ ...form, role: e.target.value as Role })} data-testid="member-role" />
            </Field>
            <FormError error={save.error} testId="member-error" />
            {editPeople ? (
              <div className="form-actions">
                <button type="submit" className="btn btn-primary" disabled={save.isPending} data-testid="member-save">
                  {save.isPending ? t('common.saving') : t('common.save')}
                </button>
              </div>
            ) : null}
          </form>

          {manageAccount ? (
            <section className="stack-sm">
              <h3 className="subheading">{t('members.account')}</h3>
              <div className="button-row">
                {m.status === 'deactivated' ? (
                  <button type="button" className="btn btn-secondary" onClick={() => setActive.mutate(true)} disabled={setActive.isPending} data-testid="member-reactivate">
                    {t('members.reactivate')}
                  </button>
                ) : (
                  <button type="button" className="btn btn-danger-outline" onClick={() => setConfirmDeactivate(true)} data-testid="member-deactivate">
                    {t('members.deactivate')}
                  </button>
                )}
                {m.status !== 'deactivated' ? (
                  <button type="button" className="btn btn-secondary" onClick={() => reset.mutate()} disabled={reset.isPending} data-testid="member-reset-link">
                    {t('members.resetLink')}
                  </button>
                ) : null}
              </div>
              <FormError error={reset.error ?? (confirmDeactivate ? null : setActive.error)} />
              {resetLink ? (
                <div className="alert alert-info stack-sm" data-testid="member-reset-result">
                  <CopyField value={absoluteLink(resetLink.url, window.location.origin)} label={t('members.resetLink')} testId="member-reset-url" copyTestId="member-reset-copy" />
                  <span className="small">{t('members.resetLinkHint', { when: formatDateTime(resetLink.expires_at, me.user.time_zone, lang) })}</span>
                </div>
              ) : null}
            </section>
          ) : null}

          <ConfirmDialog
            open={confirmDeactivate}
            message={t('members.confirmDeactivate', { name: m.name })}
            confirmLabel={t('members.deactivate')}
            danger
            busy={setActive.isPending}
            onConfirm={() => setActive.mutate(false)}
            onCancel={() => setConfirmDeactivate(false)}
            error={<FormError error={setActive.error} />}
          />
        </div>
      ) : null}
    </Dialog>
  );
}
