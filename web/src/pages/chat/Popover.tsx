// A small menu or picker anchored to its button: closes on Escape, on a click outside, and after
// a choice; opens upwards when there is no room below (the last messages of a list). On phones
// the message menus are bottom sheets (CSS). The emoji picker is one of these.

import { useEffect, useLayoutEffect, useRef, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { EMOJI } from './emoji';

export function Popover({
  open,
  onClose,
  children,
  className = '',
  testId,
  label,
}: {
  open: boolean;
  onClose: () => void;
  children: ReactNode;
  className?: string;
  testId?: string;
  label?: string;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const [flip, setFlip] = useState(false);
  const onCloseRef = useRef(onClose);
  onCloseRef.current = onClose;
  useEffect(() => {
    if (!open) return;
    const onDown = (e: PointerEvent) => {
      const el = ref.current;
      // The anchor's own button toggles; clicks inside the popover's parent are its business.
      if (el && !el.parentElement?.contains(e.target as Node)) onCloseRef.current();
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        e.stopPropagation();
        onCloseRef.current();
      }
    };
    document.addEventListener('pointerdown', onDown);
    document.addEventListener('keydown', onKey, true);
    return () => {
      document.removeEventListener('pointerdown', onDown);
      document.removeEventListener('keydown', onKey, true);
    };
  }, [open]);
  useLayoutEffect(() => {
    if (!open) return setFlip(false);
    const el = ref.current;
    if (!el || getComputedStyle(el).position === 'fixed' || className.includes('popover-up')) return;
    const rect = el.getBoundingClientRect();
    if (rect.bottom > window.innerHeight - 8 && rect.height + 60 < rect.top) setFlip(true);
  }, [open, className]);
  if (!open) return null;
  return (
    <div ref={ref} className={`popover ${className}${flip ? ' popover-up' : ''}`} data-testid={testId} role="menu" aria-label={label}>
      {children}
    </div>
  );
}

export function MenuButton({ onClick, children, testId, danger }: { onClick: () => void; children: ReactNode; testId?: string; danger?: boolean }) {
  return (
    <button type="button" role="menuitem" className={`menu-item${danger ? ' menu-item-danger' : ''}`} onClick={onClick} data-testid={testId}>
      {children}
    </button>
  );
}

export function EmojiGrid({ onPick, testId = 'emoji-picker' }: { onPick: (emoji: string) => void; testId?: string }) {
  const { t } = useTranslation();
  return (
    <div className="emoji-grid" data-testid={testId} role="group" aria-label={t('chat.emoji')}>
      {EMOJI.map((e) => (
        <button
          key={e.char}
          type="button"
          className="emoji-btn"
          title={`:${e.names[0]}:`}
          aria-label={e.names[0]}
          onClick={() => onPick(e.char)}
          data-testid="emoji-option"
          data-emoji={e.char}
        >
          {e.char}
        </button>
      ))}
    </div>
  );
}
