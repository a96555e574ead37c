// Tells the server whether the person is at the screen, for presence (online / away): `active`
// when the window gains focus or input follows a quiet spell, `idle` when it loses focus or after
// five minutes without input. Sent again whenever the socket (re)opens.

import { useEffect } from 'react';
import { sendRealtime, subscribeRealtime } from './realtimeHub';

export const IDLE_AFTER_MS = 5 * 60_000;

export function useActivityReporter(enabled: boolean): void {
  useEffect(() => {
    if (!enabled || typeof window === 'undefined') return;
    let state: 'active' | 'idle' = document.hasFocus() ? 'active' : 'idle';
    let idleTimer: ReturnType<typeof setTimeout> | null = null;
    const report = (next: 'active' | 'idle', force = false) => {
      if (next === state && !force) return;
      state = next;
      sendRealtime({ type: 'activity', state });
    };
    const armIdle = () => {
      if (idleTimer) clearTimeout(idleTimer);
      idleTimer = setTimeout(() => report('idle'), IDLE_AFTER_MS);
    };
    const onInput = () => {
      if (state === 'idle' && document.hasFocus()) report('active');
      armIdle();
    };
    const onFocus = () => {
      report('active');
      armIdle();
    };
    const onBlur = () => report('idle');
    const unsubscribe = subscribeRealtime({ onOpen: () => report(state, true) });
    window.addEventListener('focus', onFocus);
    window.addEventListener('blur', onBlur);
    const inputs = ['keydown', 'pointerdown', 'wheel', 'touchstart'] as const;
    for (const name of inputs) window.addEventListener(name, onInput, { passive: true });
    armIdle();
    return () => {
      unsubscribe();
      if (idleTimer) clearTimeout(idleTimer);
      window.removeEventListener('focus', onFocus);
      window.removeEventListener('blur', onBlur);
      for (const name of inputs) window.removeEventListener(name, onInput);
    };
  }, [enabled]);
}
