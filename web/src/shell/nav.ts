// The navigation registry. The sidebar, the phone's bottom bar and the route guards all read
// this one array, so a new capability (Chat, Rapat, Presensi) adds its screen with one line:
//
//   { id: 'chat', path: 'chat', label: 'nav.chat', icon: 'chat', section: 'main', testId: 'nav-chat' },
//
// plus its route in App.tsx and its `nav.chat` text in both locales. Entries exist only for
// screens that exist: no dead links.

import type { IconName } from '../components/Icon';
import type { Role } from '../api/types';
import { isAdmin, isPeopleManager } from '../lib/roles';

export interface NavEntry {
  id: string;
  /** Path under `/o/:orgId`; '' is the organisation's home. */
  path: string;
  /** i18n key of the label. */
  label: string;
  icon: IconName;
  /** `main` entries go in the phone's bottom bar too; `admin` ones under "Administrasi". */
  section: 'main' | 'admin';
  /** Who sees the entry (and may open the route); everyone when absent. */
  visible?: (role: Role) => boolean;
  testId: string;
}

export const NAV: readonly NavEntry[] = [
  { id: 'home', path: '', label: 'nav.home', icon: 'home', section: 'main', testId: 'nav-home' },
  { id: 'chat', path: 'chat', label: 'nav.chat', icon: 'chat', section: 'main', testId: 'nav-chat' },
  { id: 'meet', path: 'meet', label: 'nav.meet', icon: 'video', section: 'main', testId: 'nav-meet' },
  { id: 'members', path: 'members', label: 'nav.members', icon: 'users', section: 'main', visible: (r) => r !== 'guest', testId: 'nav-members' },
  { id: 'units', path: 'units', label: 'nav.units', icon: 'tree', section: 'admin', visible: isAdmin, testId: 'nav-units' },
  { id: 'import', path: 'import', label: 'nav.import', icon: 'upload', section: 'admin', visible: isPeopleManager, testId: 'nav-import' },
  { id: 'invites', path: 'invites', label: 'nav.invites', icon: 'mail', section: 'admin', visible: isAdmin, testId: 'nav-invites' },
  { id: 'roles', path: 'roles', label: 'nav.roles', icon: 'shield', section: 'admin', visible: isAdmin, testId: 'nav-roles' },
  { id: 'audit', path: 'audit', label: 'nav.audit', icon: 'list', section: 'admin', visible: isAdmin, testId: 'nav-audit' },
  { id: 'retention', path: 'chat-retention', label: 'nav.retention', icon: 'shield', section: 'admin', visible: isAdmin, testId: 'nav-retention' },
  { id: 'integrations', path: 'integrations', label: 'nav.integrations', icon: 'globe', section: 'admin', visible: isAdmin, testId: 'nav-integrations' },
  { id: 'settings', path: 'settings', label: 'nav.settings', icon: 'settings', section: 'admin', visible: isAdmin, testId: 'nav-settings' },
];

export function visibleNav(role: Role | undefined): NavEntry[] {
  if (!role) return [];
  return NAV.filter((e) => !e.visible || e.visible(role));
}

export function canOpen(id: string, role: Role | undefined): boolean {
  const entry = NAV.find((e) => e.id === id);
  if (!entry || !role) return false;
  return !entry.visible || entry.visible(role);
}

export function orgPath(orgId: string, path = ''): string {
  return `/o/${encodeURIComponent(orgId)}${path ? `/${path}` : ''}`;
}
