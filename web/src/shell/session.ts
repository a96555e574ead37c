// What happens when a session starts or ends, in one place.

import type { QueryClient } from '@tanstack/react-query';
import { setCsrfToken } from '../api/client';
import { keys } from '../api/queries';
import type { Session } from '../api/types';
import { setLanguage } from '../i18n';

/** After login / setup / accept: remember who we are and speak their language. */
export function startSession(queryClient: QueryClient, session: Session): void {
  setCsrfToken(session.csrf_token);
  queryClient.setQueryData(keys.me, session);
  if (session.user.language) setLanguage(session.user.language);
}

/** After logout: forget everything cached about the account. */
export function endSession(queryClient: QueryClient): void {
  setCsrfToken(null);
  queryClient.removeQueries();
  queryClient.setQueryData(keys.me, null);
}

/** Where to go after signing in: a safe local `next`, or the app's start. */
export function afterLoginPath(next: string | null): string {
  if (next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/login')) return next;
  return '/';
}
