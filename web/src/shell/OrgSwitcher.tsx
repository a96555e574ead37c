// The organisation in the top bar; a picker when the account belongs to several.

import { useNavigate } from 'react-router';
import { useTranslation } from 'react-i18next';
import type { Membership } from '../api/types';
import { orgPath } from './nav';

export function OrgSwitcher({ memberships, currentOrgId }: { memberships: Membership[]; currentOrgId: string | undefined }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const current = memberships.find((m) => m.org.id === currentOrgId) ?? memberships[0];
  if (!current) return null;
  if (memberships.length < 2) {
    return (
      <div className="org-name" data-testid="org-name" title={current.org.name}>
        <span className="org-badge" aria-hidden="true">
          {current.org.name.slice(0, 1).toUpperCase()}
        </span>
        <span className="truncate">{current.org.name}</span>
      </div>
    );
  }
  return (
    <div className="org-switcher">
      <label htmlFor="org-switcher" className="visually-hidden">
        {t('shell.switchOrg')}
      </label>
      <span className="org-badge" aria-hidden="true">
        {current.org.name.slice(0, 1).toUpperCase()}
      </span>
      <select
        id="org-switcher"
        data-testid="org-switcher"
        value={current.org.id}
        onChange={(e) => navigate(orgPath(e.target.value))}
      >
        {memberships.map((m) => (
          <option key={m.org.id} value={m.org.id}>
            {m.org.name}
          </option>
        ))}
      </select>
    </div>
  );
}
