// `/o/:orgId/roles`: what each role may do, and who holds the powerful ones.

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import * as ep from '../../api/endpoints';
import { keys, useMemberPages } from '../../api/queries';
import type { Member, Role } from '../../api/types';
import { Avatar } from '../../components/Avatar';
import { FormError } from '../../components/FormError';
import { Loading, PageHeader } from '../../components/Page';
import { RoleSelect } from '../../components/Selects';
import { useToast } from '../../components/Toast';
import { assignableRoles, canChangeRole, ROLES } from '../../lib/roles';
import { useOrgScope } from '../../shell/OrgContext';

const HOLDER_ROLES: Role[] = ['owner', 'admin', 'hr'];

function HolderRow({ member }: { member: Member }) {
  const { t } = useTranslation();
  const notify = useToast();
  const queryClient = useQueryClient();
  const { orgId, membership, me } = useOrgScope();
  const options = [member.role, ...assignableRoles(membership.role).filter((r) => r !== member.role && canChangeRole(membership.role, member.role, r))];
  const change = useMutation({
    mutationFn: (role: Role) => ep.patchMember(orgId, member.id, { role }),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: keys.members(orgId) });
      if (member.id === me.user.id) void queryClient.invalidateQueries({ queryKey: keys.me });
      notify(t('rolesPage.changed'));
    },
  });
  return (
    <li className="list-row padded" data-testid="role-holder" data-user-id={member.id}>
      <Avatar who={member} size={36} />
      <div className="list-main">
        <strong className="truncate">
          {member.name}
          {member.id === me.user.id ? <span className="muted"> ({t('common.you')})</span> : null}
        </strong>
        <span className="muted small truncate">{member.email}</span>
        <FormError error={change.error} />
      </div>
      <RoleSelect
        roles={options}
        value={member.role}
        disabled={options.length < 2 || change.isPending}
        aria-label={t('rolesPage.changeFor', { name: member.name })}
        onChange={(e) => change.mutate(e.target.value as Role)}
        data-testid="role-select"
      />
    </li>
  );
}

function Holders({ role }: { role: Role }) {
  const { t } = useTranslation();
  const { orgId } = useOrgScope();
  const pages = useMemberPages(orgId, { role });
  const members = pages.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <div>
      <h3 className="subheading padded-x">{t(`roles.${role}`)}</h3>
      {pages.isPending ? <Loading /> : null}
      {pages.isSuccess && members.length === 0 ? <p className="muted small padded-x">{t('rolesPage.empty')}</p> : null}
      <ul className="rows">
        {members.map((m) => (
          <HolderRow key={m.id} member={m} />
        ))}
      </ul>
      {pages.hasNextPage ? (
        <div className="padded-x">
          <button type="button" className="btn btn-secondary btn-sm" onClick={() => void pages.fetchNextPage()}>
            {t('common.loadMore')}
          </button>
        </div>
      ) : null}
    </div>
  );
}

export default function RolesPage() {
  const { t } = useTranslation();
  return (
    <div className="stack-lg">
      <PageHeader title={t('rolesPage.title')} subtitle={t('rolesPage.subtitle')} />
      <section className="card" aria-labelledby="roles-explain">
        <h2 id="roles-explain" className="card-title">{t('rolesPage.explainTitle')}</h2>
        <dl className="role-list">
          {ROLES.map((r) => (
            <div key={r} className="role-item" data-testid={`role-explain-${r}`}>
              <dt>
                <span className={`badge badge-role-${r}`}>{t(`roles.${r}`)}</span>
              </dt>
              <dd>{t(`roleDescriptions.${r}`)}</dd>
            </div>
          ))}
        </dl>
      </section>
      <section className="card flush stack" aria-labelledby="roles-holders">
        <div className="card-header padded">
          <h2 id="roles-holders" className="card-title">{t('rolesPage.holdersTitle')}</h2>
        </div>
        {HOLDER_ROLES.map((r) => (
          <Holders key={r} role={r} />
        ))}
        <p className="muted small padded">{t('rolesPage.promoteHint')}</p>
      </section>
    </div>
  );
}
