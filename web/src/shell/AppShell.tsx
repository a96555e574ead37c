// The signed-in frame: sidebar on desktop; on phones a top bar, a bottom bar with the main
// entries and a "Menu" sheet with everything else. Entries come from the registry in nav.ts.

import { Suspense, useEffect, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { NavLink, Outlet, useLocation, useMatch } from 'react-router';
import { useTranslation } from 'react-i18next';
import { listConversations } from '../api/chatEndpoints';
import { findMembership, useMe } from '../api/queries';
import { useLanguage } from '../i18n';
import type { Membership } from '../api/types';
import { Dialog } from '../components/Dialog';
import { Icon } from '../components/Icon';
import { Loading } from '../components/Page';
import { chatKeys } from '../lib/chatCache';
import { formatNumber } from '../lib/format';
import { lastOrg } from '../lib/preferences';
import { LanguageToggle } from './LanguageToggle';
import { orgPath, visibleNav, type NavEntry } from './nav';
import { OrgSwitcher } from './OrgSwitcher';
import { Reminders } from './Reminders';
import { UserMenu } from './UserMenu';

/** Unread messages in conversations that are not muted, on the Chat entry. Shares the chat
 * screen's conversation list (same query), which realtime events keep current. */
function ChatUnreadBadge({ orgId, compact }: { orgId: string; compact?: boolean }) {
  const { t } = useTranslation();
  const lang = useLanguage();
  const list = useQuery({
    queryKey: chatKeys.conversations(orgId),
    queryFn: () => listConversations(orgId),
    staleTime: 60_000,
  }).data;
  const unread = (list ?? []).filter((c) => !c.muted).reduce((n, c) => n + c.unread_count, 0);
  if (unread === 0) return null;
  return (
    <span className="badge badge-unread nav-badge" data-testid={compact ? 'bottom-nav-chat-unread' : 'nav-chat-unread'} aria-label={t('chat.navUnread', { count: unread })}>
      {unread > 99 ? '99+' : formatNumber(unread, lang)}
    </span>
  );
}

function NavItem({ entry, orgId, onNavigate, compact }: { entry: NavEntry; orgId: string; onNavigate?: () => void; compact?: boolean }) {
  const { t } = useTranslation();
  return (
    <NavLink
      to={orgPath(orgId, entry.path)}
      end={entry.path === ''}
      className={({ isActive }) => `nav-item${isActive ? ' active' : ''}${compact ? ' compact' : ''}`}
      onClick={onNavigate}
      data-testid={compact ? `bottom-${entry.testId}` : entry.testId}
    >
      <Icon name={entry.icon} size={compact ? 22 : 20} />
      <span className={compact ? 'nav-item-label' : undefined}>{t(entry.label)}</span>
      {entry.id === 'chat' ? <ChatUnreadBadge orgId={orgId} compact={compact} /> : null}
    </NavLink>
  );
}

function SidebarNav({ membership, onNavigate }: { membership: Membership; onNavigate?: () => void }) {
  const { t } = useTranslation();
  const entries = visibleNav(membership.role);
  const main = entries.filter((e) => e.section === 'main');
  const admin = entries.filter((e) => e.section === 'admin');
  const orgId = membership.org.id;
  return (
    <nav aria-label={t('shell.mainNav')} className="sidebar-nav">
      <ul>
        {main.map((e) => (
          <li key={e.id}>
            <NavItem entry={e} orgId={orgId} onNavigate={onNavigate} />
          </li>
        ))}
      </ul>
      {admin.length ? (
        <>
          <h2 className="nav-section">{t('shell.adminSection')}</h2>
          <ul>
            {admin.map((e) => (
              <li key={e.id}>
                <NavItem entry={e} orgId={orgId} onNavigate={onNavigate} />
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </nav>
  );
}

export function AppShell() {
  const { t } = useTranslation();
  const me = useMe().data;
  const location = useLocation();
  const match = useMatch('/o/:orgId/*');
  // Chat fills the frame; with a conversation open, phones give it the bottom bar's room too.
  const chatMatch = useMatch('/o/:orgId/chat/*');
  const chatOpen = !!chatMatch?.params['*'];
  const [menuOpen, setMenuOpen] = useState(false);

  useEffect(() => setMenuOpen(false), [location.pathname]);

  if (!me) return null;
  const urlOrg = match?.params.orgId;
  const current =
    findMembership(me, urlOrg) ?? findMembership(me, lastOrg() ?? undefined) ?? me.memberships[0];
  const mainEntries = current ? visibleNav(current.role).filter((e) => e.section === 'main').slice(0, 4) : [];

  return (
    <div className={`app${chatOpen ? ' app-chat-open' : ''}`}>
      <a className="skip-link" href="#main">
        {t('shell.skipToContent')}
      </a>
      <aside className="sidebar">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true">K</span>
          <span className="brand-name">{t('common.appName')}</span>
        </div>
        {current ? <SidebarNav membership={current} /> : null}
      </aside>

      <div className="app-main">
        <header className="topbar">
          <div className="topbar-start">
            <span className="brand-mark topbar-brand" aria-hidden="true">K</span>
            <OrgSwitcher memberships={me.memberships} currentOrgId={current?.org.id} />
          </div>
          <div className="topbar-end">
            <LanguageToggle signedIn />
            <UserMenu user={me.user} />
          </div>
        </header>
        <Reminders />
        <main id="main" tabIndex={-1} className={`content${chatMatch ? ' content-chat' : ''}`}>
          <Suspense fallback={<Loading />}>
            <Outlet />
          </Suspense>
        </main>
      </div>

      {current ? (
        <nav className="bottom-nav" aria-label={t('shell.mainNav')}>
          {mainEntries.map((e) => (
            <NavItem key={e.id} entry={e} orgId={current.org.id} compact />
          ))}
          <button
            type="button"
            className="nav-item compact"
            onClick={() => setMenuOpen(true)}
            aria-expanded={menuOpen}
            data-testid="bottom-nav-menu"
          >
            <Icon name="menu" size={22} />
            <span className="nav-item-label">{t('shell.menu')}</span>
          </button>
        </nav>
      ) : null}

      {current ? (
        <Dialog open={menuOpen} onClose={() => setMenuOpen(false)} title={current.org.name} variant="drawer" testId="nav-sheet">
          <SidebarNav membership={current} onNavigate={() => setMenuOpen(false)} />
          <div className="sheet-links">
            <NavLink to="/profile" className="nav-item" onClick={() => setMenuOpen(false)}>
              <Icon name="user" /> <span>{t('nav.profile')}</span>
            </NavLink>
            <NavLink to="/security" className="nav-item" onClick={() => setMenuOpen(false)}>
              <Icon name="lock" /> <span>{t('nav.security')}</span>
            </NavLink>
          </div>
        </Dialog>
      ) : null}
    </div>
  );
}
