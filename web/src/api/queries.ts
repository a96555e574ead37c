// Query keys and react-query hooks. Keys start with the resource name so that realtime events
// can invalidate by prefix (`member.*` → ['members'], see lib/realtime.ts).

import { QueryCache, QueryClient, useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { isApiError } from './client';
import * as ep from './endpoints';
import type { Me, MemberQuery, Membership } from './types';

export const keys = {
  me: ['me'] as const,
  setup: ['setup'] as const,
  org: (orgId: string) => ['org', orgId] as const,
  members: (orgId: string) => ['members', orgId] as const,
  memberList: (orgId: string, q: MemberQuery) => ['members', orgId, 'list', q] as const,
  member: (orgId: string, userId: string) => ['members', orgId, 'detail', userId] as const,
  units: (orgId: string) => ['units', orgId] as const,
  invites: (orgId: string) => ['invites', orgId] as const,
  audit: (orgId: string) => ['audit', orgId] as const,
  sessions: ['sessions'] as const,
  tokens: ['tokens'] as const,
};

export function createQueryClient(): QueryClient {
  const client: QueryClient = new QueryClient({
    queryCache: new QueryCache({
      onError: (error, query) => {
        // A session that ended while the app was open: forget who we were, which sends the
        // signed-in screens to /login.
        if (isApiError(error, 'auth.required') && query.queryKey[0] !== 'me') {
          client.setQueryData(keys.me, null);
        }
      },
    }),
    defaultOptions: {
      queries: {
        staleTime: 30_000,
        refetchOnWindowFocus: false,
        retry: (count, error) => {
          if (isApiError(error) && error.status >= 400 && error.status < 500) return false;
          return count < 2;
        },
      },
    },
  });
  return client;
}

/** The signed-in account, or null when signed out. */
export function useMe() {
  return useQuery({
    queryKey: keys.me,
    queryFn: async (): Promise<Me | null> => {
      try {
        return await ep.getMe();
      } catch (e) {
        if (isApiError(e, 'auth.required') || (isApiError(e) && e.status === 401)) return null;
        throw e;
      }
    },
    staleTime: 60_000,
  });
}

export function findMembership(me: Me | null | undefined, orgId: string | undefined): Membership | undefined {
  if (!me || !orgId) return undefined;
  return me.memberships.find((m) => m.org.id === orgId);
}

export function useOrg(orgId: string) {
  return useQuery({ queryKey: keys.org(orgId), queryFn: () => ep.getOrg(orgId) });
}

export function useUnits(orgId: string, enabled = true) {
  return useQuery({ queryKey: keys.units(orgId), queryFn: () => ep.listUnits(orgId), enabled });
}

export const MEMBERS_PAGE = 50;

export function useMemberPages(orgId: string, query: MemberQuery) {
  return useInfiniteQuery({
    queryKey: keys.memberList(orgId, query),
    queryFn: ({ pageParam }) =>
      ep.listMembers(orgId, { ...query, limit: MEMBERS_PAGE, cursor: pageParam ?? undefined }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
}

export function useMember(orgId: string, userId: string | undefined) {
  return useQuery({
    queryKey: keys.member(orgId, userId ?? ''),
    queryFn: () => ep.getMember(orgId, userId!),
    enabled: !!userId,
  });
}

export function useInvites(orgId: string, enabled = true) {
  return useQuery({ queryKey: keys.invites(orgId), queryFn: () => ep.listInvites(orgId), enabled });
}

export function useAuditPages(orgId: string) {
  return useInfiniteQuery({
    queryKey: keys.audit(orgId),
    queryFn: ({ pageParam }) => ep.listAudit(orgId, pageParam ?? undefined),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
}

export function useSessions() {
  return useQuery({ queryKey: keys.sessions, queryFn: ep.listSessions });
}

export function useTokens() {
  return useQuery({ queryKey: keys.tokens, queryFn: ep.listTokens });
}
