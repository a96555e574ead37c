// Chat retention and export endpoints (admins), kept apart from the chat ones they share no
// screen with.

import { api } from './client';
import type { ChatExport, Retention, RetentionConversation } from './types';

const base = (orgId: string) => `/api/v1/orgs/${encodeURIComponent(orgId)}/chat`;

/** get_chat_retention */
export const getRetention = (orgId: string) => api.get<Retention>(`${base(orgId)}/retention`);

/** put_chat_retention: `null` keeps messages forever. */
export const putRetention = (orgId: string, keepDays: number | null) =>
  api.put<Retention>(`${base(orgId)}/retention`, { keep_days: keepDays });

/** put_legal_hold */
export const putLegalHold = (orgId: string, conversationId: string, on: boolean, reason?: string) =>
  api.put<RetentionConversation>(`${base(orgId)}/conversations/${encodeURIComponent(conversationId)}/legal-hold`, {
    on,
    reason: reason || undefined,
  });

/** list_chat_exports */
export const listExports = (orgId: string) => api.get<ChatExport[]>(`${base(orgId)}/exports`);

/** create_chat_export: the whole organisation when `conversationId` is absent. */
export const createExport = (orgId: string, conversationId?: string) =>
  api.post<{ id: string }>(`${base(orgId)}/exports`, conversationId ? { conversation_id: conversationId } : {});

/** download_chat_export: a plain link (GET with the session cookie). */
export const exportDownloadUrl = (orgId: string, exportId: string) =>
  `${base(orgId)}/exports/${encodeURIComponent(exportId)}/download`;
