// `/o/:orgId/settings`: organisation name, default time zone, 2FA for admins.

import { useEffect, useState, type FormEvent } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import * as ep from '../../api/endpoints';
import { keys, useOrg } from '../../api/queries';
import type { OrgPatch } from '../../api/types';
import { Field } from '../../components/Field';
import { FormError, fieldError } from '../../components/FormError';
import { Loading, PageHeader, QueryError } from '../../components/Page';
import { TimeZoneSelect } from '../../components/Selects';
import { useToast } from '../../components/Toast';
import { useOrgScope } from '../../shell/OrgContext';

export default function SettingsPage() {
  const { t } = useTranslation();
  const notify = useToast();
  const queryClient = useQueryClient();
  const { orgId, membership } = useOrgScope();
  const org = useOrg(orgId);
  const [form, setForm] = useState({ name: '', default_time_zone: 'Asia/Jakarta', require_2fa_for_admins: false });

  useEffect(() => {
    if (org.data) {
      setForm({
        name: org.data.name,
        default_time_zone: org.data.default_time_zone,
        require_2fa_for_admins: org.data.require_2fa_for_admins,
      });
    }
  }, [org.data]);

  const save = useMutation({
    mutationFn: () => {
      const before = org.data!;
      const patch: OrgPatch = {};
      if (form.name.trim() !== before.name) patch.name = form.name.trim();
      if (form.default_time_zone !== before.default_time_zone) patch.default_time_zone = form.default_time_zone;
      if (form.require_2fa_for_admins !== before.require_2fa_for_admins) patch.require_2fa_for_admins = form.require_2fa_for_admins;
      return ep.patchOrg(orgId, patch);
    },
    onSuccess: (updated) => {
      if (updated && typeof updated === 'object') queryClient.setQueryData(keys.org(orgId), updated);
      void queryClient.invalidateQueries({ queryKey: keys.org(orgId) });
      void queryClient.invalidateQueries({ queryKey: keys.me });
      notify(t('common.saved'));
    },
  });

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  const err = (field: string) => fieldError(save.error, field, t);

  return (
    <div className="stack-lg narrow-page">
      <PageHeader title={t('settings.title')} subtitle={t('settings.subtitle', { org: org.data?.name ?? membership.org.name })} />
      {org.isPending ? <Loading /> : null}
      {org.isError ? <QueryError error={org.error} onRetry={() => void org.refetch()} /> : null}
      {org.data ? (
        <form className="card stack" onSubmit={onSubmit} noValidate data-testid="settings-form">
          <Field label={t('fields.org_name')} error={err('name')}>
            <input type="text" required value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} data-testid="settings-name" />
          </Field>
          <Field label={t('fields.default_time_zone')} hint={t('settings.defaultTzHint')} error={err('default_time_zone')}>
            <TimeZoneSelect value={form.default_time_zone} onChange={(e) => setForm({ ...form, default_time_zone: e.target.value })} data-testid="settings-time-zone" />
          </Field>
          <div className="field">
            <label className="checkbox">
              <input
                type="checkbox"
                checked={form.require_2fa_for_admins}
                onChange={(e) => setForm({ ...form, require_2fa_for_admins: e.target.checked })}
                aria-describedby="require-2fa-hint"
                data-testid="settings-require-2fa"
              />
              {t('settings.require2fa')}
            </label>
            <p className="field-hint" id="require-2fa-hint">
              {t('settings.require2faHint')}
            </p>
          </div>
          <FormError error={save.error} testId="settings-error" />
          <div className="form-actions">
            <button type="submit" className="btn btn-primary" disabled={save.isPending} data-testid="settings-save">
              {save.isPending ? t('common.saving') : t('common.save')}
            </button>
          </div>
        </form>
      ) : null}
    </div>
  );
}
