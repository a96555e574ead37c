// The chat API (docs/chat-contract.md), one function per endpoint like endpoints.ts. Kept in its
// own module so that it lands in the lazily loaded chat chunk, not in the first download.

import { api, request } from './client';
import type { components } from './schema';
import type {
  Attachment,
  Conversation,
  ConversationMember,
  ConversationPatch,
  DndInput,
  Me,
  Message,
  MessageEdit,
  MessagePage,
  MessageQuery,
  NewConversation,
  NewMessage,
  NewScheduledMessage,
  Presence,
  ScheduledMessage,
  StatusInput,
  Thread,
} from './types';

type Schemas = components['schemas'];

const enc = encodeURIComponent;
const chat = (orgId: string) => `/orgs/${enc(orgId)}/chat`;
const conv = (orgId: string, cid: string) => `${chat(orgId)}/conversations/${enc(cid)}`;
const msg = (orgId: string, cid: string, mid: string) => `${conv(orgId, cid)}/messages/${enc(mid)}`;

export const listConversations = (orgId: string) => api.get<Conversation[]>(`${chat(orgId)}/conversations`);
export const listChannels = (orgId: string, q?: string) => api.get<Conversation[]>(`${chat(orgId)}/channels`, { q });
export const createConversation = (orgId: string, body: NewConversation) =>
  api.post<Conversation>(`${chat(orgId)}/conversations`, body);
export const getConversation = (orgId: string, cid: string) => api.get<Conversation>(conv(orgId, cid));
export const patchConversation = (orgId: string, cid: string, body: ConversationPatch) =>
  api.patch<Conversation>(conv(orgId, cid), body);
export const joinConversation = (orgId: string, cid: string) => api.post<Conversation>(`${conv(orgId, cid)}/join`);
export const leaveConversation = (orgId: string, cid: string) => api.post<void>(`${conv(orgId, cid)}/leave`);
export const archiveConversation = (orgId: string, cid: string) => api.post<Conversation>(`${conv(orgId, cid)}/archive`);
export const unarchiveConversation = (orgId: string, cid: string) =>
  api.post<Conversation>(`${conv(orgId, cid)}/unarchive`);
export const listConversationMembers = (orgId: string, cid: string) =>
  api.get<ConversationMember[]>(`${conv(orgId, cid)}/members`);
export const addConversationMembers = (orgId: string, cid: string, user_ids: string[]) =>
  api.post<void>(`${conv(orgId, cid)}/members`, { user_ids } satisfies Schemas['AddMembersInput']);
export const removeConversationMember = (orgId: string, cid: string, userId: string) =>
  api.delete(`${conv(orgId, cid)}/members/${enc(userId)}`);
export const setMuted = (orgId: string, cid: string, muted: boolean) =>
  api.patch<Conversation>(`${conv(orgId, cid)}/me`, { muted } satisfies Schemas['MySettingsInput']);
export const setNotify = (orgId: string, cid: string, notify: Schemas['NotifyPref']) =>
  api.patch<Conversation>(`${conv(orgId, cid)}/me`, { notify } satisfies Schemas['MySettingsInput']);
export const setMemberRole = (orgId: string, cid: string, userId: string, role: Schemas['ChatRole']) =>
  api.put<void>(`${conv(orgId, cid)}/members/${enc(userId)}/role`, { role } satisfies Schemas['MemberRoleInput']);
export const readStatus = (orgId: string, cid: string, messageIds: string[]) =>
  api.get<Schemas['ReadStatusDto'][]>(`${conv(orgId, cid)}/read-status`, { message_ids: messageIds.join(',') });
export type ReaderState = 'unread' | 'read' | 'all';
export const listReaders = (
  orgId: string,
  cid: string,
  mid: string,
  q: { state: ReaderState; unit_id?: string; q?: string; limit?: number; offset?: number },
) => api.get<Schemas['ReadersDto']>(`${msg(orgId, cid, mid)}/readers`, q);
export const remindUnread = (orgId: string, cid: string, mid: string) =>
  api.post<Schemas['RemindedDto']>(`${msg(orgId, cid, mid)}/remind`);
export const markRead = (orgId: string, cid: string, seq: number) => api.post<void>(`${conv(orgId, cid)}/read`, { seq } satisfies Schemas['ReadInput']);

export const listMessages = (orgId: string, cid: string, query: MessageQuery) =>
  api.get<MessagePage>(`${conv(orgId, cid)}/messages`, { ...query });
export const postMessage = (orgId: string, cid: string, body: NewMessage) =>
  api.post<Message>(`${conv(orgId, cid)}/messages`, body);
export const getThread = (orgId: string, cid: string, mid: string) => api.get<Thread>(`${msg(orgId, cid, mid)}/thread`);
export const editMessage = (orgId: string, cid: string, mid: string, body: string) =>
  api.patch<Message>(msg(orgId, cid, mid), { body } satisfies Schemas['EditInput']);
export const deleteMessage = (orgId: string, cid: string, mid: string) => api.delete(msg(orgId, cid, mid));
export const listEdits = (orgId: string, cid: string, mid: string) => api.get<MessageEdit[]>(`${msg(orgId, cid, mid)}/edits`);
export const addReaction = (orgId: string, cid: string, mid: string, emoji: string) =>
  api.put<Message>(`${msg(orgId, cid, mid)}/reactions/${enc(emoji)}`);
export const removeReaction = (orgId: string, cid: string, mid: string, emoji: string) =>
  api.delete<Message>(`${msg(orgId, cid, mid)}/reactions/${enc(emoji)}`);
export const pinMessage = (orgId: string, cid: string, mid: string) => api.put<Message>(`${msg(orgId, cid, mid)}/pin`);
export const unpinMessage = (orgId: string, cid: string, mid: string) => api.delete<Message>(`${msg(orgId, cid, mid)}/pin`);
export const listPins = (orgId: string, cid: string) => api.get<Message[]>(`${conv(orgId, cid)}/pins`);
/** A click on a bot message's button or a submit of its form; the bot answers by editing the message. */
export const postMessageAction = (orgId: string, cid: string, mid: string, body: Schemas['ActionInput']) =>
  api.post<void>(`${msg(orgId, cid, mid)}/actions`, body);

/** Sends the file as the raw body with its own content type. */
export const uploadChatFile = (orgId: string, file: Blob, name: string) =>
  request<Attachment>(`${chat(orgId)}/files`, {
    method: 'POST',
    body: file,
    contentType: file.type || 'application/octet-stream',
    query: { name },
  });

export const listScheduled = (orgId: string) => api.get<ScheduledMessage[]>(`${chat(orgId)}/scheduled`);
export const scheduleMessage = (orgId: string, cid: string, body: NewScheduledMessage) =>
  api.post<ScheduledMessage>(`${conv(orgId, cid)}/scheduled`, body);
export const cancelScheduled = (orgId: string, id: string) => api.delete(`${chat(orgId)}/scheduled/${enc(id)}`);

export const listPresence = (orgId: string) => api.get<Presence[]>(`${chat(orgId)}/presence`);
export const putStatus = (body: StatusInput) => api.put<Me>('/me/status', body);
export const putDnd = (body: DndInput) => api.put<Me>('/me/dnd', body);

/** One page of search results (`next_cursor` for the next one). Errors carry `position`. */
export const searchMessages = (orgId: string, q: string, cursor?: string, signal?: AbortSignal) =>
  api.get<Schemas['SearchPageDto']>(`${chat(orgId)}/search`, { q, cursor }, signal);
