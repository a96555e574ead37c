// `/o/:orgId`: welcome, where you sit in the organisation, a few numbers, admin shortcuts.

import { Link } from 'react-router';
import { useTranslation } from 'react-i18next';
import { useInvites, useOrg, useUnits } from '../api/queries';
import { Icon } from '../components/Icon';
import { PageHeader } from '../components/Page';
import { useLanguage } from '../i18n';
import { formatDate, formatNumber } from '../lib/format';
import { isAdmin } from '../lib/roles';
import { unitPath } from '../lib/unitTree';
import { orgPath, visibleNav } from '../shell/nav';
import { useOrgScope } from '../shell/OrgContext';

const SHORTCUT_TEXT: Record<string, string> = {
  members: 'home.shortcutMembers',
  units: 'home.shortcutUnits',
  import: 'home.shortcutImport',
  invites: 'home.shortcutInvites',
  roles: 'home.shortcutRoles',
  audit: 'home.shortcutAudit',
  settings: 'home.shortcutSettings',
};

function Stat({ label, value, testId }: { label: string; value: string; testId: string }) {
  return (
    <div className="stat" data-testid={testId}>
      <span className="stat-value">{value}</span>
      <span className="stat-label">{label}</span>
    </div>
  );
}

export function HomePage() {
  const { t } = useTranslation();
  const lang = useLanguage();
  const { orgId, membership, me } = useOrgScope();
  const orgDetail = useOrg(orgId).data;
  const org = orgDetail ?? membership.org;
  const units = useUnits(orgId);
  const admin = isAdmin(membership.role);
  const invites = useInvites(orgId, admin);
  const canListMembers = membership.role !== 'guest';
  // GET /orgs/{id} counts members (active and invited); until it answers, show an ellipsis.
  const members = orgDetail?.member_count !== undefined ? formatNumber(orgDetail.member_count, lang) : '…';
  const path = membership.unit_id && units.data ? unitPath(units.data, membership.unit_id).split('/') : [];
  const unitName = path[path.length - 1] ?? '';
  const unitParents = path.slice(0, -1).join(' › ');
  const openInvites = admin && invites.data ? invites.data.filter((i) => i.state === 'open').length : null;
  const shortcuts = visibleNav(membership.role).filter((e) => e.section === 'admin' || (admin && e.id === 'members'));

  return (
    <div className="stack-lg" data-testid="home">
      <PageHeader
        title={t('home.welcome', { name: me.user.name.split(' ')[0] || me.user.name })}
        subtitle={
          <>
            <strong data-testid="home-org-name">{org.name}</strong> · {t('home.today', { date: formatDate(new Date(), me.user.time_zone, lang) })}
          </>
        }
      />

      <div className="grid-cards">
        <section className="card" aria-labelledby="home-place">
          <h2 id="home-place" className="card-title">{t('home.yourPlace')}</h2>
          <dl className="details">
            <div>
              <dt>{t('home.unit')}</dt>
              <dd data-testid="home-unit">
                {unitName ? <span>{unitName}</span> : <span className="muted">{t('home.noUnit')}</span>}
                {membership.is_leader ? <span className="badge badge-accent">{t('home.leader')}</span> : null}
                {unitParents ? <span className="muted small block">{unitParents}</span> : null}
              </dd>
            </div>
            <div>
              <dt>{t('home.position')}</dt>
              <dd>{membership.position || <span className="muted">{t('home.noPosition')}</span>}</dd>
            </div>
            <div>
              <dt>{t('home.role')}</dt>
              <dd>
                <span className={`badge badge-role-${membership.role}`}>{t(`roles.${membership.role}`)}</span>
              </dd>
            </div>
          </dl>
        </section>

        <section className="card" aria-labelledby="home-stats">
          <h2 id="home-stats" className="card-title">{t('home.stats')}</h2>
          <div className="stats">
            {canListMembers ? <Stat label={t('home.members')} value={members} testId="stat-members" /> : null}
            <Stat label={t('home.units')} value={units.data ? formatNumber(units.data.length, lang) : '…'} testId="stat-units" />
            {openInvites !== null ? <Stat label={t('home.invites')} value={formatNumber(openInvites, lang)} testId="stat-invites" /> : null}
          </div>
        </section>
      </div>

      {shortcuts.length ? (
        <section aria-labelledby="home-shortcuts">
          <h2 id="home-shortcuts" className="section-title">{t('home.shortcuts')}</h2>
          <div className="shortcuts">
            {shortcuts.map((e) => (
              <Link key={e.id} to={orgPath(orgId, e.path)} className="shortcut" data-testid={`shortcut-${e.id}`}>
                <span className="shortcut-icon">
                  <Icon name={e.icon} />
                </span>
                <span>
                  <strong>{t(e.label)}</strong>
                  <span className="muted small block">{t(SHORTCUT_TEXT[e.id] ?? e.label)}</span>
                </span>
              </Link>
            ))}
          </div>
        </section>
      ) : null}
    </div>
  );
}
