import { describe, expect, it } from 'vitest';
import { canOpen, NAV, visibleNav } from '../shell/nav';
import { assignableRoles, canChangeRole, canManageAccount, isAdmin, isPeopleManager } from './roles';

describe('roles (mirror of kantor-core policy)', () => {
  it('knows who administers', () => {
    expect(isAdmin('owner')).toBe(true);
    expect(isAdmin('admin')).toBe(true);
    expect(isAdmin('hr')).toBe(false);
    expect(isPeopleManager('hr')).toBe(true);
    expect(isPeopleManager('member')).toBe(false);
  });
  it('lets only owners touch owners', () => {
    expect(canChangeRole('admin', 'member', 'admin')).toBe(true);
    expect(canChangeRole('admin', 'member', 'owner')).toBe(false);
    expect(canChangeRole('admin', 'owner', 'admin')).toBe(false);
    expect(canChangeRole('owner', 'owner', 'admin')).toBe(true);
    expect(canChangeRole('hr', 'member', 'admin')).toBe(false);
    expect(assignableRoles('admin')).not.toContain('owner');
    expect(assignableRoles('member')).toEqual([]);
    expect(canManageAccount('admin', 'owner')).toBe(false);
    expect(canManageAccount('admin', 'hr')).toBe(true);
  });
});

describe('nav registry', () => {
  it('shows members only the everyday screens', () => {
    expect(visibleNav('member').map((e) => e.id)).toEqual(['home', 'chat', 'meet', 'members']);
    expect(visibleNav('guest').map((e) => e.id)).toEqual(['home', 'chat', 'meet']);
    expect(canOpen('units', 'member')).toBe(false);
  });
  it('shows HR the import, admins everything', () => {
    expect(visibleNav('hr').map((e) => e.id)).toEqual(['home', 'chat', 'meet', 'members', 'import']);
    expect(visibleNav('admin')).toHaveLength(NAV.length);
  });
  it('has unique ids and test ids', () => {
    expect(new Set(NAV.map((e) => e.id)).size).toBe(NAV.length);
    expect(new Set(NAV.map((e) => e.testId)).size).toBe(NAV.length);
  });
});
