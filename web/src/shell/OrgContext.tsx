// The organisation a signed-in screen works in, from the URL (`/o/:orgId/...`).

import { createContext, useContext } from 'react';
import type { Me, Membership } from '../api/types';

export interface OrgScope {
  orgId: string;
  membership: Membership;
  me: Me;
}

export const OrgContext = createContext<OrgScope | null>(null);

export function useOrgScope(): OrgScope {
  const scope = useContext(OrgContext);
  if (!scope) throw new Error('useOrgScope outside an /o/:orgId route');
  return scope;
}
