// The one live RealtimeClient, for screens that need more than cache invalidation: chat listens
// to ephemeral messages (typing, presence) and sends its own (typing, activity). useRealtime
// registers the client here; screens subscribe while they are mounted.

import type { ClientMessage, EphemeralMessage } from '../api/types';
import type { RealtimeClient } from './realtime';

export interface RealtimeListener {
  onEphemeral?: (message: EphemeralMessage) => void;
  /** The socket (re)opened: re-announce state the server does not keep (activity). */
  onOpen?: () => void;
}

const listeners = new Set<RealtimeListener>();
let client: RealtimeClient | null = null;

export function setRealtimeClient(next: RealtimeClient | null): void {
  client = next;
}

export function subscribeRealtime(listener: RealtimeListener): () => void {
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}

/** Sends on the live socket; false when there is none or it is not open (nothing is queued). */
export function sendRealtime(message: ClientMessage): boolean {
  return client?.send(message) ?? false;
}

export function emitEphemeral(message: EphemeralMessage): void {
  for (const l of listeners) l.onEphemeral?.(message);
}

export function emitOpen(): void {
  for (const l of listeners) l.onOpen?.();
}
