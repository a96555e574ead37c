// Guards for signed-in routes: who is signed in, which organisation, which role.

import { useEffect, useRef, type ReactNode } from 'react';
import { Navigate, Outlet, useLocation, useParams } from 'react-router';
import { useTranslation } from 'react-i18next';
import { findMembership, useMe } from '../api/queries';
import { QueryError } from '../components/Page';
import { setLanguage } from '../i18n';
import { lastOrg, rememberOrg } from '../lib/preferences';
import { useActivityReporter } from '../lib/useActivity';
import { useRealtime } from '../lib/useRealtime';
import { NotFoundPage } from '../pages/NotFoundPage';
import { canOpen, orgPath } from './nav';
import { OrgContext, useOrgScope } from './OrgContext';

export function FullPageLoading() {
  const { t } = useTranslation();
  return (
    <div className="full-page-center" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      <span>{t('shell.loadingApp')}</span>
    </div>
  );
}

/** Signed-in routes: sends visitors to /login, starts the realtime connection and the activity
 * reports that drive presence. */
export function RequireAuth() {
  const { t } = useTranslation();
  const me = useMe();
  const location = useLocation();
  const signedIn = !!me.data;
  useRealtime(signedIn);
  useActivityReporter(signedIn);

  // Speak the account's language once per sign-in (the toggle changes it afterwards).
  const syncedFor = useRef<string | null>(null);
  useEffect(() => {
    const user = me.data?.user;
    if (user && syncedFor.current !== user.id) {
      syncedFor.current = user.id;
      if (user.language) setLanguage(user.language);
    }
  }, [me.data]);

  if (me.isPending) return <FullPageLoading />;
  if (me.isError) {
    return (
      <div className="full-page-center">
        <p>{t('shell.loadError')}</p>
        <QueryError error={me.error} onRetry={() => void me.refetch()} />
      </div>
    );
  }
  if (!me.data) {
    const next = location.pathname + location.search;
    return <Navigate to={next === '/' ? '/login' : `/login?next=${encodeURIComponent(next)}`} replace />;
  }
  return <Outlet />;
}

/** `/`: the last organisation used here, or the first one. */
export function HomeRedirect() {
  const { t } = useTranslation();
  const me = useMe().data;
  if (!me) return null;
  const remembered = lastOrg();
  const target = me.memberships.find((m) => m.org.id === remembered) ?? me.memberships[0];
  if (!target) {
    return (
      <div className="card narrow" data-testid="no-org">
        <h1>{t('shell.noOrgTitle')}</h1>
        <p>{t('shell.noOrgBody')}</p>
      </div>
    );
  }
  return <Navigate to={orgPath(target.org.id)} replace />;
}

/** `/o/:orgId/*`: the caller must belong to the organisation (else 404, like the server). */
export function OrgRoute() {
  const { orgId } = useParams();
  const me = useMe().data;
  const membership = findMembership(me, orgId);
  useEffect(() => {
    if (membership && orgId) rememberOrg(orgId);
  }, [membership, orgId]);
  if (!me || !orgId || !membership) return <NotFoundPage />;
  return (
    <OrgContext.Provider value={{ orgId, membership, me }}>
      <Outlet />
    </OrgContext.Provider>
  );
}

/** A screen from the nav registry: hidden from roles that cannot use it. */
export function Gate({ id, children }: { id: string; children: ReactNode }) {
  const { t } = useTranslation();
  const { membership } = useOrgScope();
  if (!canOpen(id, membership.role)) {
    return (
      <div className="card narrow" data-testid="forbidden">
        <h1>{t('errors.auth.forbidden')}</h1>
      </div>
    );
  }
  return <>{children}</>;
}
