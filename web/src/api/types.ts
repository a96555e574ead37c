// Every type the web app exchanges with the server, written by hand from docs/API.md.
// Keep them all in this one file: it will be replaced by types generated from the OpenAPI spec
// (web/src/api/schema.d.ts), and the names follow API.md so the swap is mechanical.
//
// Fields not spelled out in API.md follow the server's DTOs as written so far
// (crates/kantor-server/src/api/*.rs); "assumed" marks what neither fixes. See web/README.md.

/** UI / account language. `id` (Bahasa Indonesia) is the default. */
export type Language = 'id' | 'en';

export type Role = 'owner' | 'admin' | 'hr' | 'member' | 'guest';

export type MemberStatus = 'invited' | 'active' | 'deactivated';

/** RFC 3339 UTC instant, e.g. `2026-11-23T04:30:00Z`. */
export type Instant = string;

/** A cursor page: `?limit=50&cursor=…` → `{items, next_cursor}`. */
export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

/** The error envelope every failing request answers with. */
export interface ErrorBody {
  error: { code: string; message: string; field?: string };
}

// ---------------------------------------------------------------------------------------------
// Accounts and sessions

export interface User {
  id: string;
  email: string;
  name: string;
  phone: string | null;
  language: Language;
  /** IANA zone, e.g. `Asia/Jakarta`. */
  time_zone: string;
  /** `/api/v1/files/{id}`, or null. */
  avatar_url: string | null;
  /** Whether two-step sign-in is on. */
  totp_enabled: boolean;
}

export interface Org {
  id: string;
  name: string;
  default_time_zone: string;
  require_2fa_for_admins: boolean;
  created_at: Instant;
  /** assumed, optional: number of active members (home counts them itself otherwise). */
  member_count?: number;
}

export interface Membership {
  org: Org;
  role: Role;
  status?: MemberStatus;
  unit_id: string | null;
  position: string | null;
  employee_number: string | null;
  is_leader: boolean;
}

/** `GET /me`. */
export interface Me {
  user: User;
  memberships: Membership[];
  /** For `X-CSRF-Token` on cookie-authenticated writes; null with an API token. */
  csrf_token: string | null;
}

/** Returned by login, setup and invite accept; the same shape as `Me`. */
export type Session = Me;

/** `GET /me/sessions` item. */
export interface SessionInfo {
  id: string;
  created_at: Instant;
  last_seen_at: Instant;
  user_agent: string | null;
  ip: string | null;
  current: boolean;
}

/** `GET /me/tokens` item. */
export interface ApiToken {
  id: string;
  name: string;
  created_at: Instant;
  last_used_at: Instant | null;
}

/** `POST /me/tokens` answer: the secret is shown once. */
export interface CreatedApiToken {
  id: string;
  name: string;
  token: string;
}

export interface TotpSetup {
  secret: string;
  otpauth_url: string;
}

// ---------------------------------------------------------------------------------------------
// Public flows

export interface SetupStatus {
  needed: boolean;
}

export interface SetupRequest {
  token: string;
  org_name: string;
  name: string;
  email: string;
  password: string;
  time_zone: string;
  language: Language;
}

export interface LoginRequest {
  email: string;
  password: string;
  totp_code?: string;
}

/** `GET /invites/{token}` (public). */
export interface InviteInfo {
  org_name: string;
  email: string | null;
  role: Role;
  expires_at: Instant;
  /** The email already has an account: accepting asks for that account's password. */
  existing_account?: boolean;
}

export interface AcceptInviteRequest {
  name: string;
  email?: string;
  password: string;
  time_zone: string;
  language: Language;
}

/** `GET /password-resets/{token}`. */
export interface PasswordResetInfo {
  email: string;
}

// ---------------------------------------------------------------------------------------------
// Organisation

export interface Member {
  /** The member's user id. */
  id: string;
  name: string;
  email: string;
  phone: string | null;
  avatar_url: string | null;
  time_zone: string;
  role: Role;
  status: MemberStatus;
  unit_id: string | null;
  position: string | null;
  employee_number: string | null;
  joined_at: Instant;
}

/** Absent fields stay as they are; an empty string clears unit, position or number. */
export interface MemberPatch {
  role?: Role;
  unit_id?: string;
  position?: string;
  employee_number?: string;
}

export interface MemberQuery {
  q?: string;
  unit_id?: string;
  role?: Role;
  status?: MemberStatus;
  cursor?: string;
  limit?: number;
}

export interface OrgPatch {
  name?: string;
  default_time_zone?: string;
  require_2fa_for_admins?: boolean;
}

export interface PasswordResetLink {
  url: string;
  expires_at: Instant;
}

export interface Unit {
  id: string;
  parent_id: string | null;
  name: string;
  leader_user_id: string | null;
  member_count: number;
}

/** `parent_id` empty or absent: a top-level unit; `leader_user_id` empty: no leader. */
export interface NewUnit {
  name: string;
  parent_id?: string;
  leader_user_id?: string;
}

/** Absent fields stay; `parent_id: ''` moves to the top level, `leader_user_id: ''` clears. */
export interface UnitPatch {
  name?: string;
  parent_id?: string;
  leader_user_id?: string;
}

export type InviteState = 'open' | 'used' | 'revoked' | 'expired';

export interface Invite {
  id: string;
  email: string | null;
  role: Role;
  unit_id: string | null;
  created_at: Instant;
  expires_at: Instant;
  state: InviteState;
  /** The link to send: only in the answer that created the invite (tokens are stored hashed). */
  url?: string | null;
}

export interface NewInvite {
  email?: string;
  role: Role;
  unit_id?: string;
  expires_in_hours?: number;
}

export interface ImportRowError {
  field: string;
  code: string;
}

export interface ImportRow {
  line: number;
  name: string;
  email: string;
  phone: string | null;
  employee_number: string | null;
  /** `Dinas Kominfo/Bidang TIK` */
  unit_path: string;
  position: string | null;
  time_zone: string;
  errors: ImportRowError[];
}

export interface ImportPreview {
  id: string;
  /** `preview` or `confirmed`. */
  status?: string;
  rows: ImportRow[];
  valid_count: number;
  error_count: number;
}

/** One imported person's invite link (shown once; the web app offers it as a CSV file). */
export interface ImportedInvite {
  name: string;
  email: string;
  url: string;
}

export interface ImportResult {
  imported: number;
  skipped?: number;
  units_created?: number;
  invites?: ImportedInvite[];
  /** API.md's `GET /imports/{id}/invites.csv`, if the server offers it. */
  invites_csv_url?: string;
}

export interface AuditEntry {
  id: string;
  at: Instant;
  /** Null for the system. */
  actor_id: string | null;
  actor_name: string | null;
  /** e.g. `member.role_change` */
  action: string;
  /** The id of what was acted on. */
  target: string | null;
  detail: unknown;
}

// ---------------------------------------------------------------------------------------------
// Realtime gateway messages (`GET /api/v1/ws?since=SEQ`)

export type ServerMessage =
  | { type: 'hello'; seq: number }
  | { type: 'event'; seq: number; kind: string; org_id: string | null; data: unknown }
  | { type: 'resync_required'; seq?: number }
  | { type: 'ping' };
