// One function per endpoint of docs/openapi.json (the operationId is in each comment where the
// function's name differs). Screens call these through react-query hooks (queries.ts); nothing
// else builds API paths. Request and response types come from the generated spec (types.ts).

import { api, request } from './client';
import type {
  AcceptInviteRequest,
  ApiToken,
  AuditPage,
  ConfirmImport,
  CreatedApiToken,
  ImportPreview,
  ImportResult,
  Invite,
  InviteInfo,
  LoginRequest,
  Me,
  Member,
  MemberPage,
  MemberPatch,
  MemberQuery,
  MePatch,
  NewInvite,
  NewPassword,
  NewTokenRequest,
  NewUnit,
  Org,
  OrgPatch,
  PasswordChange,
  PasswordResetInfo,
  PasswordResetLink,
  Session,
  SessionInfo,
  SetupRequest,
  SetupStatus,
  TotpCode,
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
  api.post<void>(`/password-resets/${enc(token)}`, { password } satisfies NewPassword);

// Me
export const getMe = () => api.get<Me>('/me');
/** `phone: ''` clears the phone number. */
export const patchMe = (body: MePatch) => api.patch<Me>('/me', body);
export const putAvatar = (image: Blob) => api.put<Me>('/me/avatar', image, image.type);
export const changePassword = (current_password: string, new_password: string) =>
  api.post<void>('/me/password', { current_password, new_password } satisfies PasswordChange);
export const logout = () => api.post<void>('/auth/logout');
export const logoutAll = () => api.post<void>('/auth/logout-all');
export const listSessions = () => api.get<SessionInfo[]>('/me/sessions');
export const revokeSession = (id: string) => api.delete(`/me/sessions/${enc(id)}`);
export const totpSetup = () => api.post<TotpSetup>('/me/totp/setup');
export const totpEnable = (code: string) => api.post<void>('/me/totp/enable', { code } satisfies TotpCode);
export const totpDisable = (code: string) => api.post<void>('/me/totp/disable', { code } satisfies TotpCode);
export const listTokens = () => api.get<ApiToken[]>('/me/tokens');
export const createToken = (name: string) =>
  api.post<CreatedApiToken>('/me/tokens', { name } satisfies NewTokenRequest);
export const revokeToken = (id: string) => api.delete(`/me/tokens/${enc(id)}`);

// Organisation
export const getOrg = (orgId: string) => api.get<Org>(org(orgId));
export const patchOrg = (orgId: string, body: OrgPatch) => api.patch<Org>(org(orgId), body);

export const listMembers = (orgId: string, query: MemberQuery) =>
  api.get<MemberPage>(`${org(orgId)}/members`, { ...query });
export const getMember = (orgId: string, userId: string) =>
  api.get<Member>(`${org(orgId)}/members/${enc(userId)}`);
export const patchMember = (orgId: string, userId: string, body: MemberPatch) =>
  api.patch<Member>(`${org(orgId)}/members/${enc(userId)}`, body);
export const deactivateMember = (orgId: string, userId: string) =>
  api.post<Member>(`${org(orgId)}/members/${enc(userId)}/deactivate`);
export const reactivateMember = (orgId: string, userId: string) =>
  api.post<Member>(`${org(orgId)}/members/${enc(userId)}/reactivate`);
export const createPasswordReset = (orgId: string, userId: string) =>
  api.post<PasswordResetLink>(`${org(orgId)}/members/${enc(userId)}/password-reset`);

export const listUnits = (orgId: string) => api.get<Unit[]>(`${org(orgId)}/units`);
export const createUnit = (orgId: string, body: NewUnit) =>
  api.post<Unit>(`${org(orgId)}/units`, body);
export const patchUnit = (orgId: string, unitId: string, body: UnitPatch) =>
  api.patch<Unit>(`${org(orgId)}/units/${enc(unitId)}`, body);
export const deleteUnit = (orgId: string, unitId: string) =>
  api.delete(`${org(orgId)}/units/${enc(unitId)}`);

export const listInvites = (orgId: string) => api.get<Invite[]>(`${org(orgId)}/invites`);
export const createInvite = (orgId: string, body: NewInvite) =>
  api.post<Invite>(`${org(orgId)}/invites`, body);
export const revokeInvite = (orgId: string, inviteId: string) =>
  api.delete(`${org(orgId)}/invites/${enc(inviteId)}`);

/** Sends the file as the raw body with its own content type (CSV or XLSX). */
export const uploadImport = (orgId: string, file: Blob, contentType: string) =>
  request<ImportPreview>(`${org(orgId)}/imports`, { method: 'POST', body: file, contentType });
export const confirmImport = (orgId: string, importId: string, skip_invalid: boolean) =>
  api.post<ImportResult>(`${org(orgId)}/imports/${enc(importId)}/confirm`, {
    skip_invalid,
  } satisfies ConfirmImport);

export const listAudit = (orgId: string, cursor?: string) =>
  api.get<AuditPage>(`${org(orgId)}/audit`, { cursor, limit: 50 });
