// `/o/:orgId/members` (and `/members/:userId` with the detail drawer open): the people directory.

import { useEffect, useMemo, useState } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
import { useTranslation } from 'react-i18next';
import { useMemberPages, useUnits } from '../../api/queries';
import type { MemberQuery, MemberStatus, Role } from '../../api/types';
import { Avatar } from '../../components/Avatar';
import { Icon } from '../../components/Icon';
import { EmptyState, Loading, PageHeader, QueryError } from '../../components/Page';
import { RoleSelect, UnitSelect } from '../../components/Selects';
import { useLanguage } from '../../i18n';
import { formatNumber } from '../../lib/format';
import { ROLES } from '../../lib/roles';
import { unitNameOf } from '../../lib/unitTree';
import { orgPath } from '../../shell/nav';
import { useOrgScope } from '../../shell/OrgContext';
import { MemberDrawer } from './MemberDrawer';

const STATUSES: MemberStatus[] = ['active', 'invited', 'deactivated'];

function useDebounced<T>(value: T, ms: number): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return debounced;
}

export default function MembersPage() {
  const { t } = useTranslation();
  const lang = useLanguage();
  const { orgId, membership } = useOrgScope();
  const { userId } = useParams();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const [q, setQ] = useState(params.get('q') ?? '');
  const debouncedQ = useDebounced(q.trim(), 300);
  const unitFilter = params.get('unit') ?? '';
  const roleFilter = params.get('role') ?? '';
  const statusFilter = params.get('status') ?? '';

  const setParam = (key: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  };
  // Keep the search in the URL (back button, shareable link) once typing pauses.
  useEffect(() => {
    if ((params.get('q') ?? '') !== debouncedQ) setParam('q', debouncedQ);
  }, [debouncedQ]); // only when the debounced text changes, not on every params change

  const query: MemberQuery = useMemo(
    () => ({
      q: debouncedQ || undefined,
      unit_id: unitFilter || undefined,
      role: (ROLES as readonly string[]).includes(roleFilter) ? (roleFilter as Role) : undefined,
      status: (STATUSES as string[]).includes(statusFilter) ? (statusFilter as MemberStatus) : undefined,
    }),
    [debouncedQ, unitFilter, roleFilter, statusFilter],
  );
  const pages = useMemberPages(orgId, query);
  const units = useUnits(orgId);
  const members = pages.data?.pages.flatMap((p) => p.items) ?? [];
  const search = params.toString() ? `?${params.toString()}` : '';

  return (
    <div className="stack-lg">
      <PageHeader title={t('members.title')} subtitle={t('members.subtitle', { org: membership.org.name })} />

      <div className="toolbar" role="search">
        <div className="search-input grow">
          <Icon name="search" size={18} />
          <label htmlFor="members-q" className="visually-hidden">
            {t('members.searchLabel')}
          </label>
          <input
            id="members-q"
            type="search"
            placeholder={t('members.searchPlaceholder')}
            value={q}
            onChange={(e) => setQ(e.target.value)}
            data-testid="members-search"
          />
        </div>
        <label className="visually-hidden" htmlFor="members-unit">
          {t('members.filterUnit')}
        </label>
        <UnitSelect
          id="members-unit"
          units={units.data ?? []}
          emptyLabel={t('members.allUnits')}
          value={unitFilter}
          onChange={(e) => setParam('unit', e.target.value)}
          data-testid="members-filter-unit"
        />
        <label className="visually-hidden" htmlFor="members-role">
          {t('members.filterRole')}
        </label>
        <RoleSelect id="members-role" anyLabel={t('members.allRoles')} value={roleFilter} onChange={(e) => setParam('role', e.target.value)} data-testid="members-filter-role" />
        <label className="visually-hidden" htmlFor="members-status">
          {t('members.filterStatus')}
        </label>
        <select id="members-status" value={statusFilter} onChange={(e) => setParam('status', e.target.value)} data-testid="members-filter-status">
          <option value="">{t('members.allStatuses')}</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {t(`status.${s}`)}
            </option>
          ))}
        </select>
      </div>

      {pages.isPending ? <Loading /> : null}
      {pages.isError ? <QueryError error={pages.error} onRetry={() => void pages.refetch()} /> : null}
      {pages.isSuccess && members.length === 0 ? <EmptyState>{t('members.empty')}</EmptyState> : null}

      {members.length ? (
        <div className="table-card card flush">
          <div className="table-head members-grid" aria-hidden="true">
            <span>{t('members.name')}</span>
            <span>{t('members.unit')}</span>
            <span>{t('members.position')}</span>
            <span>{t('members.role')}</span>
          </div>
          <ul className="rows" data-testid="members-list">
            {members.map((m) => (
              <li key={m.id}>
                <Link
                  to={`${orgPath(orgId, `members/${encodeURIComponent(m.id)}`)}${search}`}
                  className={`row-link members-grid${m.id === userId ? ' selected' : ''}`}
                  aria-label={t('members.open', { name: m.name })}
                  data-testid="member-row"
                  data-user-id={m.id}
                >
                  <span className="cell-person">
                    <Avatar who={m} size={36} />
                    <span className="min-w-0">
                      <strong className="truncate block">{m.name}</strong>
                      <span className="muted small truncate block">{m.email}</span>
                    </span>
                  </span>
                  <span className="cell-secondary truncate">{unitNameOf(units.data, m.unit_id) ?? <span className="muted">{t('members.noUnit')}</span>}</span>
                  <span className="cell-secondary truncate">{m.position ?? ''}</span>
                  <span className="cell-badges">
                    <span className={`badge badge-role-${m.role}`}>{t(`roles.${m.role}`)}</span>
                    {m.status !== 'active' ? <span className={`badge badge-status-${m.status}`}>{t(`status.${m.status}`)}</span> : null}
                  </span>
                </Link>
              </li>
            ))}
          </ul>
        </div>
      ) : null}

      <div className="list-footer">
        {members.length ? <span className="muted small">{t('members.shown', { n: formatNumber(members.length, lang) })}</span> : <span />}
        {pages.hasNextPage ? (
          <button type="button" className="btn btn-secondary" onClick={() => void pages.fetchNextPage()} disabled={pages.isFetchingNextPage} data-testid="members-load-more">
            {pages.isFetchingNextPage ? t('common.loading') : t('common.loadMore')}
          </button>
        ) : null}
      </div>

      {userId ? (
        <MemberDrawer userId={userId} units={units.data ?? []} onClose={() => navigate(`${orgPath(orgId, 'members')}${search}`)} />
      ) : null}
    </div>
  );
}
