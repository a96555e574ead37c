// What the UI shows to whom. The server enforces every rule (kantor-core policy.rs); this only
// hides what a role cannot use, mirroring that policy.

import type { Role } from '../api/types';

export const ROLES: readonly Role[] = ['owner', 'admin', 'hr', 'member', 'guest'];

export function isAdmin(role: Role | undefined): boolean {
  return role === 'owner' || role === 'admin';
}

/** Admins and HR manage people data (import, unit/position/number). */
export function isPeopleManager(role: Role | undefined): boolean {
  return isAdmin(role) || role === 'hr';
}

/** Roles `actor` may grant or take away; only owners touch owners. */
export function assignableRoles(actor: Role | undefined): Role[] {
  if (actor === 'owner') return [...ROLES];
  if (actor === 'admin') return ROLES.filter((r) => r !== 'owner');
  return [];
}

export function canChangeRole(actor: Role | undefined, current: Role, next: Role): boolean {
  if (current === 'owner' || next === 'owner') return actor === 'owner';
  return isAdmin(actor);
}

/** Deactivate / reactivate / password reset. */
export function canManageAccount(actor: Role | undefined, target: Role): boolean {
  if (target === 'owner') return actor === 'owner';
  return isAdmin(actor);
}
