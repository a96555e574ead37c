// Keeps react-query in step with the server: one RealtimeClient while signed in; events
// invalidate the queries of their kind (batched, so an import of 500 people refetches once);
// `chat.*` events are applied to the chat caches directly (chatCache.ts), and the client is
// registered in realtimeHub.ts for ephemeral messages (typing, presence) and sending.

import { useEffect } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import { keys } from '../api/queries';
import { applyChatEvent } from './chatCache';
import { RealtimeClient, queryKeysForKind, wsOrigin, type SocketLike } from './realtime';
import { emitEphemeral, emitOpen, setRealtimeClient } from './realtimeHub';

const BATCH_MS = 250;

export function useRealtime(enabled: boolean): void {
  const queryClient = useQueryClient();
  const navigate = useNavigate();

  useEffect(() => {
    if (!enabled || typeof WebSocket === 'undefined') return;
    const pending = new Map<string, string[]>();
    let flushTimer: ReturnType<typeof setTimeout> | null = null;
    const flush = () => {
      flushTimer = null;
      for (const key of pending.values()) void queryClient.invalidateQueries({ queryKey: key });
      pending.clear();
    };

    const client = new RealtimeClient({
      origin: wsOrigin(window.location),
      createSocket: (url) => new WebSocket(url) as unknown as SocketLike,
      onEvent: (event) => {
        if (applyChatEvent(queryClient, event)) return;
        for (const key of queryKeysForKind(event.kind)) pending.set(key.join('\u0000'), key);
        if (pending.size && flushTimer === null) flushTimer = setTimeout(flush, BATCH_MS);
      },
      onEphemeral: emitEphemeral,
      onOpen: emitOpen,
      onResync: () => void queryClient.invalidateQueries(),
      onMembershipsChanged: () => void queryClient.invalidateQueries({ queryKey: keys.me }),
      onSessionEnded: () => {
        queryClient.setQueryData(keys.me, null);
        navigate('/login', { replace: true });
      },
    });
    setRealtimeClient(client);
    client.start();
    const onOnline = () => client.reconnectNow();
    window.addEventListener('online', onOnline);
    return () => {
      window.removeEventListener('online', onOnline);
      if (flushTimer !== null) clearTimeout(flushTimer);
      setRealtimeClient(null);
      client.stop();
    };
  }, [enabled, queryClient, navigate]);
}
