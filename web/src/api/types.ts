// Every type the web app exchanges with the server, under the names the app uses. They are all
// DERIVED from the generated `schema.d.ts` (openapi-typescript over docs/openapi.json, which
// `kantor openapi` generates from the server's code) — never written by hand, so they cannot
// drift from the server. To change a shape, change the server's DTO (crates/kantor-server/src/api)
// and run `make api`.
//
// The one exception is the realtime gateway's messages at the bottom: the WebSocket protocol is
// not part of the HTTP spec (see docs/API.md).

import type { components, operations } from './schema';

type Schemas = components['schemas'];

/** UI / account language. `id` (Bahasa Indonesia) is the default. */
export type Language = Schemas['Language'];

export type Role = Schemas['RoleDto'];

export type MemberStatus = Schemas['StatusDto'];

/** RFC 3339 UTC instant, e.g. `2026-11-23T04:30:00Z` (the spec types these as plain strings). */
export type Instant = string;

/** The error envelope every failing request answers with. */
export type ErrorBody = Schemas['ErrorBody'];

// ---------------------------------------------------------------------------------------------
// Accounts and sessions

export type User = Schemas['UserDto'];
export type Org = Schemas['OrgDto'];
export type Membership = Schemas['MembershipDto'];

/** `GET /me`. `csrf_token` is null for API-token callers. */
export type Me = Schemas['MeDto'];

/** Returned by login, setup and invite accept; the same shape as `Me`. */
export type Session = Me;

export type MePatch = Schemas['MePatch'];
export type PasswordChange = Schemas['PasswordChange'];

/** `GET /me/sessions` item. */
export type SessionInfo = Schemas['SessionDto'];

/** `GET /me/tokens` item. */
export type ApiToken = Schemas['TokenDto'];

/** `POST /me/tokens` answer: the secret is shown once. */
export type CreatedApiToken = Schemas['NewTokenDto'];
export type NewTokenRequest = Schemas['NewTokenRequest'];

export type TotpSetup = Schemas['TotpSetup'];
export type TotpCode = Schemas['TotpCode'];

// ---------------------------------------------------------------------------------------------
// Public flows

export type SetupStatus = Schemas['SetupStatus'];
export type SetupRequest = Schemas['SetupRequest'];
export type LoginRequest = Schemas['LoginRequest'];

/** `GET /invites/{token}` (public). */
export type InviteInfo = Schemas['PublicInvite'];
export type AcceptInviteRequest = Schemas['AcceptInvite'];

/** `GET /password-resets/{token}`. */
export type PasswordResetInfo = Schemas['ResetInfo'];
export type NewPassword = Schemas['NewPassword'];

// ---------------------------------------------------------------------------------------------
// Organisation

export type Member = Schemas['MemberDto'];
/** A cursor page: `?limit=50&cursor=…` → `{items, next_cursor}`. */
export type MemberPage = Schemas['MemberPage'];

/** Absent fields stay as they are; an empty string clears unit, position or number. */
export type MemberPatch = Schemas['MemberPatch'];

/** The query of `GET /orgs/{org_id}/members`. */
export type MemberQuery = NonNullable<operations['list_members']['parameters']['query']>;

export type OrgPatch = Schemas['OrgPatch'];
export type PasswordResetLink = Schemas['ResetLink'];

export type Unit = Schemas['UnitDto'];

/** Absent fields stay; `parent_id: ''` moves to the top level, `leader_user_id: ''` clears. */
export type UnitPatch = Schemas['UnitInput'];

/**
 * Creating a unit: the same body as a patch, but the server requires `name` (it answers 422
 * without one), so the app must give it. `parent_id` empty or absent: a top-level unit.
 */
export type NewUnit = Schemas['UnitInput'] & { name: string };

export type InviteState = Schemas['InviteState'];

/** `url` (the link to send) is only set in the answer that created the invite. */
export type Invite = Schemas['InviteDto'];
export type NewInvite = Schemas['NewInviteRequest'];

export type ImportRowError = Schemas['RowErrorDto'];
export type ImportRow = Schemas['ImportRowDto'];
export type ImportPreview = Schemas['ImportPreview'];
export type ConfirmImport = Schemas['ConfirmImport'];

/** One imported person's invite link (shown once; the web app offers it as a CSV file). */
export type ImportedInvite = Schemas['ImportedInvite'];
export type ImportResult = Schemas['ImportResult'];

export type AuditEntry = Schemas['AuditEntryDto'];
export type AuditPage = Schemas['AuditPage'];

// ---------------------------------------------------------------------------------------------
// Chat (docs/chat-contract.md)

export type ConversationKind = Schemas['ConversationKind'];
export type ChatRole = Schemas['ChatRole'];
/** A person as chat shows them (author, DM member). */
export type UserRef = Schemas['UserRefDto'];

/** Sidebar entry. `name` is null for DMs and groups (titled by `members`); the per-member fields
 * (`last_read_seq`, `unread_count`, `mention_count`, `muted`) are meaningless in realtime
 * `chat.conversation.updated` events. */
export type Conversation = Schemas['ConversationDto'];
export type NewConversation = Schemas['NewConversationInput'];
export type ConversationPatch = Schemas['ConversationPatchInput'];
export type ConversationMember = Schemas['ConversationMemberDto'];

/** `body` is Markdown with `<@user_id>` mention tokens; only ids in `mentions` are real mentions. */
export type Message = Schemas['MessageDto'];
export type MessagePage = Schemas['MessagePageDto'];
/** `?before=&after=&around=&limit=` of `GET …/messages`. */
export type MessageQuery = NonNullable<operations['list_messages']['parameters']['query']>;
/** `client_key` is made once per message and reused by every retry. */
export type NewMessage = Schemas['PostInput'];
export type Thread = Schemas['ThreadDto'];
export type MessageEdit = Schemas['EditDto'];
export type Quote = Schemas['QuoteDto'];
export type Reaction = Schemas['ReactionDto'];
export type Attachment = Schemas['AttachmentDto'];

export type ScheduledMessage = Schemas['ScheduledMessageDto'];
export type NewScheduledMessage = Schemas['ScheduleInput'];

export type PresenceState = Schemas['PresenceState'];
export type Presence = Schemas['PresenceDto'];
/** `Me.chat_status`: status text and emoji, and do-not-disturb hours. */
export type ChatStatus = Schemas['ChatStatusDto'];
export type StatusInput = Schemas['StatusInput'];
export type DndInput = Schemas['DndInput'];

// ---------------------------------------------------------------------------------------------
// Realtime gateway messages (`GET /api/v1/ws?since=SEQ`) — not in the OpenAPI spec, which
// describes only the handshake; the server builds these in crates/kantor-server/src/gateway.rs.

export type ServerMessage =
  | { type: 'hello'; seq: number }
  /** `org_id` is absent for events addressed to a user rather than an organisation. */
  | { type: 'event'; seq: number; kind: string; org_id?: string; data: unknown }
  | { type: 'resync_required'; seq?: number }
  | { type: 'ping' }
  | TypingMessage
  | PresenceMessage
  | ReadStatusMessage;

/** Ephemeral (no `seq`, not replayed): someone is typing in a conversation or thread. */
export interface TypingMessage {
  type: 'typing';
  org_id: string;
  conversation_id: string;
  thread_root_id: string | null;
  user_id: string;
}

/** Ephemeral: people this socket watches (`watch_presence`) came online, went away or offline.
 * Also the answer to `watch_presence`, with their states at that moment. */
export interface PresenceMessage {
  type: 'presence';
  org_id?: string;
  changes: { user_id: string; state: 'online' | 'away' | 'offline' }[];
}

/** Ephemeral: read counts of a group's recent announcements, pushed about once a second while
 * people read, to their authors and the group's owners and posters. */
export interface ReadStatusMessage {
  type: 'read_status';
  org_id: string;
  conversation_id: string;
  messages: { message_id: string; read: number; total: number }[];
}

/** `chat.reminder`: someone asks me to read an announcement (the "Ding"). */
export interface ChatReminder {
  conversation_id: string;
  message_id: string;
  seq: number;
  by: UserRef;
  excerpt: string;
}

export type EphemeralMessage = TypingMessage | PresenceMessage | ReadStatusMessage;

/** What the web app sends on the socket besides `pong`. */
export type ClientMessage =
  | { type: 'typing'; conversation_id: string; thread_root_id?: string }
  | { type: 'activity'; state: 'active' | 'idle' }
  /** Replaces the list of people whose presence changes this socket receives (≤ 1,000). */
  | { type: 'watch_presence'; user_ids: string[] };

/** Chat search (`GET /orgs/{org_id}/chat/search`): a page of results, newest first. */
export type SearchPage = Schemas['SearchPageDto'];
export type SearchResult = Schemas['SearchResultDto'];
export type SnippetPart = Schemas['SnippetPartDto'];

/** Chat retention and export (admins): `GET|PUT /orgs/{org_id}/chat/retention`, exports. */
export type Retention = Schemas['RetentionDto'];
export type RetentionConversation = Schemas['RetentionConversationDto'];
export type ChatExport = Schemas['ExportDto'];

/** Webhooks and bots (admins): `…/chat/webhooks/incoming|outgoing|allow-list`, `…/bots`. */
export type IncomingWebhook = Schemas['IncomingWebhookDto'];
/** The create answer: `url` (`/hooks/{secret}`) is shown once. */
export type CreatedIncomingWebhook = Schemas['CreatedIncomingWebhookDto'];
export type NewIncomingWebhook = Schemas['NewIncomingWebhookInput'];
export type OutgoingWebhook = Schemas['OutgoingWebhookDto'];
/** The create answer: `signing_secret` is shown once. */
export type CreatedOutgoingWebhook = Schemas['CreatedOutgoingWebhookDto'];
export type NewOutgoingWebhook = Schemas['NewOutgoingWebhookInput'];
export type WebhookAllowList = Schemas['AllowListDto'];
export type Bot = Schemas['BotDto'];
/** The create answer: `token` is shown once. */
export type CreatedBot = Schemas['CreatedBotDto'];
