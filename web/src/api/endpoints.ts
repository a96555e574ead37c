// One function per endpoint of docs/API.md. Screens call these through react-query hooks
// (queries.ts); nothing else builds API paths.

import { api, itemsOf, request } from './client';
import type {
  AcceptInviteRequest,
  ApiToken,
  AuditEntry,
  CreatedApiToken,
  ImportPreview,
  ImportResult,
  Invite,
  InviteInfo,
  Language,
  LoginRequest,
  Me,
  Member,
  MemberPatch,
  MemberQuery,
  NewInvite,
  NewUnit,
  Org,
  OrgPatch,
  Page,
  PasswordResetInfo,
  PasswordResetLink,
  Session,
  SessionInfo,
  SetupRequest,
  SetupStatus,
  TotpSetup,
  Unit,
  UnitPatch,
} from './types';

const enc = encodeURIComponent;
const org = (orgId: string) => `/orgs/${enc(orgId)}`;

// Public
export const getSetupStatus = () => api.get<SetupStatus>('/setup');
export const postSetup = (body: SetupRequest) => api.post<Session>('/setup', body);
export const login = (body: LoginRequest) => api.post<Session>('/auth/login', body);
export const getInvite = (token: string) => api.get<InviteInfo>(`/invites/${enc(token)}`);
export const acceptInvite = (token: string, body: AcceptInviteRequest) =>
  api.post<Session>(`/invites/${enc(token)}/accept`, body);
export const getPasswordReset = (token: string) =>
  api.get<PasswordResetInfo>(`/password-resets/${enc(token)}`);
export const postPasswordReset = (token: string, password: string) =>
  api.post<void>(`/password-resets/${enc(token)}`, { password });

// Me
export const getMe = () => api.get<Me>('/me');
export const patchMe = (body: {
  name?: string;
  /** '' clears it. */
  phone?: string;
  language?: Language;
  time_zone?: string;
}) => api.patch<Me>('/me', body);
export const putAvatar = (image: Blob) => api.put<Me>('/me/avatar', image, image.type);
export const changePassword = (current_password: string, new_password: string) =>
  api.post<void>('/me/password', { current_password, new_password });
export const logout = () => api.post<void>('/auth/logout');
export const logoutAll = () => api.post<void>('/auth/logout-all');
export const listSessions = async () =>
  itemsOf(await api.get<SessionInfo[] | Page<SessionInfo>>('/me/sessions'));
export const revokeSession = (id: string) => api.delete(`/me/sessions/${enc(id)}`);
export const totpSetup = () => api.post<TotpSetup>('/me/totp/setup');
export const totpEnable = (code: string) => api.post<unknown>('/me/totp/enable', { code });
export const totpDisable = (code: string) => api.post<unknown>('/me/totp/disable', { code });
export const listTokens = async () =>
  itemsOf(await api.get<ApiToken[] | Page<ApiToken>>('/me/tokens'));
export const createToken = (name: string) => api.post<CreatedApiToken>('/me/tokens', { name });
export const revokeToken = (id: string) => api.delete(`/me/tokens/${enc(id)}`);

// Organisation
export const getOrg = (orgId: string) => api.get<Org>(org(orgId));
export const patchOrg = (orgId: string, body: OrgPatch) => api.patch<Org>(org(orgId), body);

export const listMembers = (orgId: string, query: MemberQuery) =>
  api.get<Page<Member>>(`${org(orgId)}/members`, { ...query });
export const getMember = (orgId: string, userId: string) =>
  api.get<Member>(`${org(orgId)}/members/${enc(userId)}`);
export const patchMember = (orgId: string, userId: string, body: MemberPatch) =>
  api.patch<Member>(`${org(orgId)}/members/${enc(userId)}`, body);
export const deactivateMember = (orgId: string, userId: string) =>
  api.post<unknown>(`${org(orgId)}/members/${enc(userId)}/deactivate`);
export const reactivateMember = (orgId: string, userId: string) =>
  api.post<unknown>(`${org(orgId)}/members/${enc(userId)}/reactivate`);
export const createPasswordReset = (orgId: string, userId: string) =>
  api.post<PasswordResetLink>(`${org(orgId)}/members/${enc(userId)}/password-reset`);

export const listUnits = async (orgId: string) =>
  itemsOf(await api.get<Unit[] | Page<Unit>>(`${org(orgId)}/units`));
export const createUnit = (orgId: string, body: NewUnit) =>
  api.post<Unit>(`${org(orgId)}/units`, body);
export const patchUnit = (orgId: string, unitId: string, body: UnitPatch) =>
  api.patch<Unit>(`${org(orgId)}/units/${enc(unitId)}`, body);
export const deleteUnit = (orgId: string, unitId: string) =>
  api.delete(`${org(orgId)}/units/${enc(unitId)}`);

export const listInvites = async (orgId: string) =>
  itemsOf(await api.get<Invite[] | Page<Invite>>(`${org(orgId)}/invites`));
export const createInvite = (orgId: string, body: NewInvite) =>
  api.post<Invite>(`${org(orgId)}/invites`, body);
export const revokeInvite = (orgId: string, inviteId: string) =>
  api.delete(`${org(orgId)}/invites/${enc(inviteId)}`);

/** Sends the file as the raw body with its own content type (CSV or XLSX). */
export const uploadImport = (orgId: string, file: Blob, contentType: string) =>
  request<ImportPreview>(`${org(orgId)}/imports`, { method: 'POST', body: file, contentType });
export const confirmImport = (orgId: string, importId: string, skip_invalid: boolean) =>
  api.post<ImportResult>(`${org(orgId)}/imports/${enc(importId)}/confirm`, { skip_invalid });

export const listAudit = (orgId: string, cursor?: string) =>
  api.get<Page<AuditEntry>>(`${org(orgId)}/audit`, { cursor, limit: 50 });
