// Webhook and bot endpoints (admins), for the Integrasi screen.

import { api } from './client';
import type {
  Bot,
  CreatedBot,
  CreatedIncomingWebhook,
  CreatedOutgoingWebhook,
  IncomingWebhook,
  NewIncomingWebhook,
  NewOutgoingWebhook,
  OutgoingWebhook,
  WebhookAllowList,
} from './types';

const org = (orgId: string) => `/api/v1/orgs/${encodeURIComponent(orgId)}`;
const hooks = (orgId: string) => `${org(orgId)}/chat/webhooks`;

/** list_incoming_webhooks */
export const listIncoming = (orgId: string) => api.get<IncomingWebhook[]>(`${hooks(orgId)}/incoming`);

/** create_incoming_webhook: the answer's `url` is shown once. */
export const createIncoming = (orgId: string, body: NewIncomingWebhook) =>
  api.post<CreatedIncomingWebhook>(`${hooks(orgId)}/incoming`, body);

/** delete_incoming_webhook: the URL stops working and its bot is deactivated. */
export const deleteIncoming = (orgId: string, id: string) => api.delete(`${hooks(orgId)}/incoming/${encodeURIComponent(id)}`);

/** list_outgoing_webhooks, with each one's delivery status. */
export const listOutgoing = (orgId: string) => api.get<OutgoingWebhook[]>(`${hooks(orgId)}/outgoing`);

/** create_outgoing_webhook: the answer's `signing_secret` is shown once. */
export const createOutgoing = (orgId: string, body: NewOutgoingWebhook) =>
  api.post<CreatedOutgoingWebhook>(`${hooks(orgId)}/outgoing`, body);

/** delete_outgoing_webhook */
export const deleteOutgoing = (orgId: string, id: string) => api.delete(`${hooks(orgId)}/outgoing/${encodeURIComponent(id)}`);

/** get_webhook_allow_list */
export const getAllowList = (orgId: string) => api.get<WebhookAllowList>(`${hooks(orgId)}/allow-list`);

/** put_webhook_allow_list: replaces the whole list. */
export const putAllowList = (orgId: string, hosts: string[]) =>
  api.put<WebhookAllowList>(`${hooks(orgId)}/allow-list`, { hosts } satisfies WebhookAllowList);

/** list_bots */
export const listBots = (orgId: string) => api.get<Bot[]>(`${org(orgId)}/bots`);

/** create_bot: the answer's `token` is shown once. */
export const createBot = (orgId: string, name: string) => api.post<CreatedBot>(`${org(orgId)}/bots`, { name });

/** delete_bot: deactivated, its tokens revoked at once; its messages stay. */
export const deleteBot = (orgId: string, userId: string) => api.delete(`${org(orgId)}/bots/${encodeURIComponent(userId)}`);
