// What every part of the chat screen needs to know: who is signed in, in which organisation and
// zone, how to name people, who is online — and, per pane (conversation or thread), which
// conversation it shows and how its composer and read tracker are reached.

import { createContext, useContext, type RefObject } from 'react';
import type { Attachment, Conversation, ConversationMember, Language, Message, Presence, UserRef } from '../../api/types';

export interface ChatScope {
  orgId: string;
  me: UserRef;
  timeZone: string;
  lang: Language;
  /** Org owner or admin: may delete anyone's message, archive any channel. */
  isOrgAdmin: boolean;
  /** Not a guest: may list members, browse channels, start DMs and create channels (guests
   * only talk where they were added). */
  canParticipate: boolean;
  person: (userId: string) => UserRef | undefined;
  presence: ReadonlyMap<string, Presence>;
  /** `/o/:org/chat` */
  basePath: string;
}

export const ChatScopeContext = createContext<ChatScope | null>(null);

export function useChatScope(): ChatScope {
  const v = useContext(ChatScopeContext);
  if (!v) throw new Error('useChatScope outside the chat screen');
  return v;
}

/** Screen-wide dialogs any message can open. */
export interface ChatUi {
  forward: (m: Message) => void;
  history: (m: Message) => void;
  confirmDelete: (m: Message) => void;
  lightbox: (a: Attachment) => void;
  openThread: (rootId: string) => void;
}

export const ChatUiContext = createContext<ChatUi | null>(null);

export function useChatUi(): ChatUi {
  const v = useContext(ChatUiContext);
  if (!v) throw new Error('useChatUi outside the chat screen');
  return v;
}

export interface ComposerHandle {
  quote: (m: Message) => void;
  edit: (m: Message) => void;
  focus: () => void;
}

export interface Pane {
  conversation: Conversation;
  /** Null in the conversation's main list; the root's id in the thread pane. */
  threadRootId: string | null;
  composer: RefObject<ComposerHandle | null>;
  /** Registers a shown message for read tracking; returns the cleanup. */
  observe: (el: HTMLElement) => () => void;
  /** Members with their read positions, for read ticks (only when the conversation has them). */
  members: ConversationMember[] | undefined;
}

export const PaneContext = createContext<Pane | null>(null);

export function usePane(): Pane {
  const v = useContext(PaneContext);
  if (!v) throw new Error('usePane outside a chat pane');
  return v;
}
