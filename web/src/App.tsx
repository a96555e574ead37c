// Routes. Public screens and the home page are in the entry bundle; the admin, profile and
// security, chat and meeting screens are loaded on demand (React.lazy) to keep the first download small.

import { lazy, Suspense } from 'react';
import { Route, Routes } from 'react-router';
import { HomePage } from './pages/HomePage';
import { InvitePage } from './pages/InvitePage';
import { LoginPage } from './pages/LoginPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { ResetPage } from './pages/ResetPage';
import { SetupPage } from './pages/SetupPage';
import { AppShell } from './shell/AppShell';
import { FullPageLoading, Gate, HomeRedirect, OrgRoute, RequireAuth } from './shell/RequireAuth';

const MembersPage = lazy(() => import('./pages/admin/MembersPage'));
const UnitsPage = lazy(() => import('./pages/admin/UnitsPage'));
const ImportPage = lazy(() => import('./pages/admin/ImportPage'));
const InvitesPage = lazy(() => import('./pages/admin/InvitesPage'));
const RolesPage = lazy(() => import('./pages/admin/RolesPage'));
const AuditPage = lazy(() => import('./pages/admin/AuditPage'));
const SettingsPage = lazy(() => import('./pages/admin/SettingsPage'));
const RetentionPage = lazy(() => import('./pages/admin/RetentionPage'));
const IntegrationsPage = lazy(() => import('./pages/admin/IntegrationsPage'));
const ProfilePage = lazy(() => import('./pages/ProfilePage'));
const SecurityPage = lazy(() => import('./pages/SecurityPage'));
const ChatPage = lazy(() => import('./pages/chat/ChatPage'));
const MeetingsPage = lazy(() => import('./pages/meet/MeetingsPage'));
const MeetPage = lazy(() => import('./pages/meet/MeetPage'));
const AttendancePage = lazy(() => import('./pages/meet/AttendancePage'));

export function App() {
  return (
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      <Route path="/setup" element={<SetupPage />} />
      <Route path="/invite/:token" element={<InvitePage />} />
      <Route path="/reset/:token" element={<ResetPage />} />
      {/* A meeting: public (guests join with a name), full screen, outside the app frame. */}
      <Route path="/meet/:number" element={<Suspense fallback={<FullPageLoading />}><MeetPage /></Suspense>} />

      <Route element={<RequireAuth />}>
        <Route element={<AppShell />}>
          <Route index element={<HomeRedirect />} />
          <Route path="/profile" element={<ProfilePage />} />
          <Route path="/security" element={<SecurityPage />} />
          <Route path="/o/:orgId" element={<OrgRoute />}>
            <Route index element={<HomePage />} />
            <Route path="chat/*" element={<Gate id="chat"><ChatPage /></Gate>} />
            <Route path="meet" element={<Gate id="meet"><MeetingsPage /></Gate>} />
            <Route path="meet/:meetingId/attendance" element={<Gate id="meet"><AttendancePage /></Gate>} />
            <Route path="members" element={<Gate id="members"><MembersPage /></Gate>} />
            <Route path="members/:userId" element={<Gate id="members"><MembersPage /></Gate>} />
            <Route path="units" element={<Gate id="units"><UnitsPage /></Gate>} />
            <Route path="import" element={<Gate id="import"><ImportPage /></Gate>} />
            <Route path="invites" element={<Gate id="invites"><InvitesPage /></Gate>} />
            <Route path="roles" element={<Gate id="roles"><RolesPage /></Gate>} />
            <Route path="audit" element={<Gate id="audit"><AuditPage /></Gate>} />
            <Route path="settings" element={<Gate id="settings"><SettingsPage /></Gate>} />
            <Route path="chat-retention" element={<Gate id="retention"><RetentionPage /></Gate>} />
            <Route path="integrations" element={<Gate id="integrations"><IntegrationsPage /></Gate>} />
            <Route path="*" element={<NotFoundPage />} />
          </Route>
          <Route path="*" element={<NotFoundPage />} />
        </Route>
      </Route>
    </Routes>
  );
}
