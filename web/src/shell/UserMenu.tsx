// The account menu: profile, security, sign out. A disclosure (button + list of links), so
// Tab moves through it; Escape or a click outside closes it.

import { useEffect, useId, useRef, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { logout } from '../api/endpoints';
import type { User } from '../api/types';
import { Avatar } from '../components/Avatar';
import { Icon } from '../components/Icon';
import { endSession } from './session';

export function UserMenu({ user }: { user: User }) {
  const { t } = useTranslation();
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  const buttonRef = useRef<HTMLButtonElement>(null);
  const menuId = useId();
  const navigate = useNavigate();
  const queryClient = useQueryClient();

  useEffect(() => {
    if (!open) return;
    const onDown = (e: MouseEvent) => {
      if (ref.current && !ref.current.contains(e.target as Node)) setOpen(false);
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        setOpen(false);
        buttonRef.current?.focus();
      }
    };
    const onFocus = (e: FocusEvent) => {
      if (ref.current && !ref.current.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('mousedown', onDown);
    document.addEventListener('keydown', onKey);
    document.addEventListener('focusin', onFocus);
    ref.current?.querySelector<HTMLElement>('.menu-item')?.focus();
    return () => {
      document.removeEventListener('mousedown', onDown);
      document.removeEventListener('keydown', onKey);
      document.removeEventListener('focusin', onFocus);
    };
  }, [open]);

  const signOut = async () => {
    setOpen(false);
    try {
      await logout();
    } catch {
      // signed out locally either way
    }
    endSession(queryClient);
    navigate('/login', { replace: true });
  };

  return (
    <div className="user-menu" ref={ref}>
      <button
        ref={buttonRef}
        type="button"
        className="user-menu-button"
        aria-expanded={open}
        aria-controls={menuId}
        aria-label={t('shell.userMenu')}
        onClick={() => setOpen((v) => !v)}
        data-testid="user-menu"
      >
        <Avatar who={user} size={32} />
        <span className="user-menu-name truncate">{user.name}</span>
        <Icon name="chevronDown" size={16} />
      </button>
      {open ? (
        <div className="menu" id={menuId}>
          <div className="menu-header">
            <strong className="truncate">{user.name}</strong>
            <span className="muted truncate">{user.email}</span>
          </div>
          <Link className="menu-item" to="/profile" onClick={() => setOpen(false)} data-testid="user-menu-profile">
            <Icon name="user" size={18} /> {t('nav.profile')}
          </Link>
          <Link className="menu-item" to="/security" onClick={() => setOpen(false)} data-testid="user-menu-security">
            <Icon name="lock" size={18} /> {t('nav.security')}
          </Link>
          <button type="button" className="menu-item" onClick={signOut} data-testid="logout">
            <Icon name="logout" size={18} /> {t('nav.logout')}
          </button>
        </div>
      ) : null}
    </div>
  );
}
