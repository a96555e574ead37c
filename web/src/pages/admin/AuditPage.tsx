// `/o/:orgId/audit`: who changed what, newest first, in the viewer's time zone.

import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import { useAuditPages } from '../../api/queries';
import type { AuditEntry } from '../../api/types';
import { EmptyState, Loading, PageHeader, QueryError } from '../../components/Page';
import { useLanguage } from '../../i18n';
import { formatDateTime, zoneAbbreviation } from '../../lib/format';
import { useOrgScope } from '../../shell/OrgContext';

export function actorText(entry: Pick<AuditEntry, 'actor_id' | 'actor_name'>, systemLabel: string): string {
  return entry.actor_name ?? entry.actor_id ?? systemLabel;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What was acted on: a name from the detail when there is one, else a short id. */
export function targetText(entry: Pick<AuditEntry, 'target' | 'detail'>): string {
  const detail = entry.detail;
  if (detail && typeof detail === 'object' && !Array.isArray(detail)) {
    const d = detail as Record<string, unknown>;
    for (const key of ['name', 'email', 'org_name']) {
      if (typeof d[key] === 'string' && d[key]) return d[key] as string;
    }
  }
  if (!entry.target) return '';
  return UUID.test(entry.target) ? `#${entry.target.slice(0, 8)}` : entry.target;
}

/** A compact, readable rendering of a JSON value: `key: value · key: value`. */
export function compactValue(value: unknown): string {
  if (value === null || value === undefined || value === '') return '';
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map(compactValue).join(', ');
  if (typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    if (typeof obj.name === 'string' && Object.keys(obj).every((k) => ['name', 'id', 'type', 'kind'].includes(k))) return obj.name;
    return Object.entries(obj)
      .filter(([, v]) => v !== null && v !== undefined && v !== '')
      .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
      .join(' · ');
  }
  return '';
}

function actionText(t: TFunction, action: string): string {
  const table = t('audit_actions', { returnObjects: true }) as unknown;
  const label = table && typeof table === 'object' ? (table as Record<string, unknown>)[action] : undefined;
  return typeof label === 'string' ? label : action;
}

export default function AuditPage() {
  const { t } = useTranslation();
  const lang = useLanguage();
  const { orgId, me } = useOrgScope();
  const pages = useAuditPages(orgId);
  const entries = pages.data?.pages.flatMap((p) => p.items) ?? [];
  const zone = me.user.time_zone;
  return (
    <div className="stack-lg">
      <PageHeader title={t('audit.title')} subtitle={t('audit.subtitle', { zone: `${zoneAbbreviation(zone)} (${zone})` })} />
      {pages.isPending ? <Loading /> : null}
      {pages.isError ? <QueryError error={pages.error} onRetry={() => void pages.refetch()} /> : null}
      {pages.isSuccess && entries.length === 0 ? <EmptyState>{t('audit.empty')}</EmptyState> : null}
      {entries.length ? (
        <div className="card flush table-scroll">
          <table className="table audit-table" data-testid="audit-table">
            <thead>
              <tr>
                <th scope="col">{t('audit.at')}</th>
                <th scope="col">{t('audit.actor')}</th>
                <th scope="col">{t('audit.action')}</th>
                <th scope="col">{t('audit.target')}</th>
                <th scope="col">{t('audit.detail')}</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e) => (
                <tr key={e.id} data-testid="audit-row" data-action={e.action}>
                  <td className="nowrap" data-label={t('audit.at')}>
                    <time dateTime={e.at}>{formatDateTime(e.at, zone, lang)}</time>
                  </td>
                  <td data-label={t('audit.actor')}>{actorText(e, t('audit.system'))}</td>
                  <td data-label={t('audit.action')}>
                    <span title={e.action}>{actionText(t, e.action)}</span>
                  </td>
                  <td className="break" data-label={t('audit.target')} title={e.target ?? undefined}>
                    {targetText(e)}
                  </td>
                  <td className="break small muted" data-label={t('audit.detail')}>{compactValue(e.detail)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {pages.hasNextPage ? (
        <div className="list-footer">
          <span />
          <button type="button" className="btn btn-secondary" onClick={() => void pages.fetchNextPage()} disabled={pages.isFetchingNextPage} data-testid="audit-load-more">
            {pages.isFetchingNextPage ? t('common.loading') : t('common.loadMore')}
          </button>
        </div>
      ) : null}
    </div>
  );
}
