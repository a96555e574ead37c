// Choosing people from the organisation: a search box over the member list and chips for those
// chosen. Used by "new message" (DM / group) and "add members".

import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useQuery } from '@tanstack/react-query';
import { listMembers } from '../../api/endpoints';
import type { UserRef } from '../../api/types';
import { Avatar } from '../../components/Avatar';
import { Icon } from '../../components/Icon';
import { useChatScope } from './context';
import { PresenceDot } from './MessageItem';

export function MemberPicker({
  selected,
  onChange,
  max,
  exclude = [],
  testId = 'member-picker',
}: {
  selected: UserRef[];
  onChange: (next: UserRef[]) => void;
  max: number;
  exclude?: readonly string[];
  testId?: string;
}) {
  const { t } = useTranslation();
  const { orgId, me } = useChatScope();
  const [q, setQ] = useState('');
  const found = useQuery({
    queryKey: ['members', orgId, 'picker', q],
    queryFn: () => listMembers(orgId, { q: q.trim() || undefined, limit: 20, status: 'active' }),
    placeholderData: (prev) => prev,
  });
  const people = (found.data?.items ?? []).filter((m) => m.id !== me.id && !exclude.includes(m.id));
  const isSelected = (id: string) => selected.some((s) => s.id === id);
  const toggle = (p: UserRef) => {
    if (isSelected(p.id)) onChange(selected.filter((s) => s.id !== p.id));
    else if (selected.length < max) onChange([...selected, p]);
  };
  return (
    <div className="stack-sm" data-testid={testId}>
      {selected.length ? (
        <ul className="chips" aria-label={t('chat.selectedPeople')}>
          {selected.map((p) => (
            <li key={p.id} className="chip">
              {p.name}
              <button type="button" className="chip-remove" onClick={() => toggle(p)} aria-label={t('chat.removePerson', { name: p.name })}>
                <Icon name="close" size={12} />
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      <div className="search-input">
        <Icon name="search" size={18} />
        <input
          type="search"
          value={q}
          onChange={(e) => setQ(e.target.value)}
          placeholder={t('chat.searchPeople')}
          aria-label={t('chat.searchPeople')}
          data-testid={`${testId}-search`}
          autoFocus
        />
      </div>
      {selected.length >= max ? <p className="small muted">{t('chat.pickerMax', { n: max })}</p> : null}
      <ul className="picker-list">
        {people.map((m) => {
          const p: UserRef = { id: m.id, name: m.name, avatar_url: m.avatar_url };
          const on = isSelected(m.id);
          return (
            <li key={m.id}>
              <button
                type="button"
                className={`picker-row${on ? ' selected' : ''}`}
                onClick={() => toggle(p)}
                aria-pressed={on}
                disabled={!on && selected.length >= max}
                data-testid={`${testId}-option`}
                data-user-id={m.id}
              >
                <span className="avatar-wrap">
                  <Avatar who={p} size={28} />
                  <PresenceDot userId={m.id} />
                </span>
                <span className="min-w-0 grow">
                  <span className="block truncate">{m.name}</span>
                  {m.position ? <span className="block truncate small muted">{m.position}</span> : null}
                </span>
                {on ? <Icon name="check" size={18} /> : null}
              </button>
            </li>
          );
        })}
        {found.isSuccess && people.length === 0 ? <li className="muted small padded">{t('chat.noPeople')}</li> : null}
      </ul>
    </div>
  );
}
