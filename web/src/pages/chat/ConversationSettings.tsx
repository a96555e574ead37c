// A conversation's settings drawer: about (name, topic, description), members (with presence;
// add and remove), notifications (mute), and leaving or archiving — each destructive step asks
// through the confirm dialog first.

import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import * as ep from '../../api/chatEndpoints';
import type { Conversation, UserRef } from '../../api/types';
import { ConfirmDialog, Dialog } from '../../components/Dialog';
import { Field } from '../../components/Field';
import { FormError } from '../../components/FormError';
import { Icon } from '../../components/Icon';
import { Loading, QueryError } from '../../components/Page';
import { useToast } from '../../components/Toast';
import { chatKeys } from '../../lib/chatCache';
import { errorMessage } from '../../lib/errors';
import { conversationTitle, isChannel } from './chatHooks';
import { useChatScope } from './context';
import { MemberPicker } from './MemberPicker';
import { PersonAvatar, StatusBadge } from './MessageItem';

/** Slow mode choices, in seconds (0: off). */
const SLOW_MODES = [0, 10, 30, 60, 300, 900, 3600];

function slowModeLabel(s: number, t: (key: string, o?: Record<string, unknown>) => string): string {
  if (s === 0) return t('chat.slowModeOff');
  if (s === 3600) return t('chat.slowModeHour');
  return s < 60 ? t('chat.slowModeSecs', { n: s }) : t('chat.slowModeMins', { n: s / 60 });
}

type Confirm = 'leave' | 'archive' | 'unarchive' | { remove: UserRef } | null;

export function ConversationSettings({ conversation: c, open, onClose }: { conversation: Conversation; open: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const { orgId, me, isOrgAdmin, basePath, canParticipate: scopeCanParticipate } = useChatScope();
  const qc = useQueryClient();
  const toast = useToast();
  const navigate = useNavigate();
  const channel = isChannel(c);
  const manager = c.my_role === 'owner' || isOrgAdmin;
  const [name, setName] = useState(c.name ?? '');
  const [topic, setTopic] = useState(c.topic);
  const [description, setDescription] = useState(c.description);
  const [adding, setAdding] = useState<UserRef[] | null>(null);
  const [confirm, setConfirm] = useState<Confirm>(null);
  // The switch moves at once; the server's answer (or an error) settles it.
  const [muted, setMutedNow] = useState(c.muted);
  useEffect(() => setMutedNow(c.muted), [c.muted]);

  useEffect(() => {
    if (open) {
      setName(c.name ?? '');
      setTopic(c.topic);
      setDescription(c.description);
      setAdding(null);
    }
  }, [open, c.id]);

  const refresh = (next?: Conversation) => {
    if (next) {
      qc.setQueryData<Conversation[]>(chatKeys.conversations(orgId), (list) =>
        list?.map((x) => (x.id === next.id ? { ...next, unread_count: x.unread_count, mention_count: x.mention_count } : x)),
      );
    }
    void qc.invalidateQueries({ queryKey: chatKeys.conversations(orgId) });
    void qc.invalidateQueries({ queryKey: chatKeys.conversation(orgId, c.id) });
    void qc.invalidateQueries({ queryKey: chatKeys.members(orgId, c.id) });
  };

  const members = useQuery({
    queryKey: chatKeys.members(orgId, c.id),
    queryFn: () => ep.listConversationMembers(orgId, c.id),
    enabled: open,
  });
  const save = useMutation({
    mutationFn: () =>
      ep.patchConversation(orgId, c.id, {
        ...(manager && channel && name.trim() !== (c.name ?? '') ? { name: name.trim() } : {}),
        topic: topic.trim(),
        description: description.trim(),
      }),
    onSuccess: (next) => {
      refresh(next);
      toast(t('common.saved'));
    },
  });
  const notifyPref = useMutation({
    mutationFn: (notify: 'default' | 'all' | 'mentions' | 'none') => ep.setNotify(orgId, c.id, notify),
    onSuccess: (next) => refresh(next),
    onError: (e) => toast(errorMessage(t, e), 'error'),
  });
  const mute = useMutation({
    mutationFn: (muted: boolean) => ep.setMuted(orgId, c.id, muted),
    onSuccess: (next) => refresh(next),
    onError: (e) => {
      setMutedNow(c.muted);
      toast(errorMessage(t, e), 'error');
    },
  });
  const rules = useMutation({
    mutationFn: (patch: { org_wide?: boolean; announcement?: boolean; slow_mode_secs?: number; mention_limit?: number }) =>
      ep.patchConversation(orgId, c.id, patch),
    onSuccess: (next) => {
      refresh(next);
      toast(t('chat.groupRulesSaved'));
    },
    onError: (e) => toast(errorMessage(t, e), 'error'),
  });
  const role = useMutation({
    mutationFn: ({ userId, role }: { userId: string; role: 'poster' | 'member' }) => ep.setMemberRole(orgId, c.id, userId, role),
    onSuccess: () => {
      refresh();
      toast(t('chat.roleChanged'));
    },
    onError: (e) => toast(errorMessage(t, e), 'error'),
  });
  const add = useMutation({
    mutationFn: (people: UserRef[]) => ep.addConversationMembers(orgId, c.id, people.map((p) => p.id)),
    onSuccess: () => {
      setAdding(null);
      refresh();
      toast(t('chat.membersAdded'));
    },
  });
  const act = useMutation({
    mutationFn: async (what: Exclude<Confirm, null>) => {
      if (what === 'leave') return ep.leaveConversation(orgId, c.id);
      if (what === 'archive') return ep.archiveConversation(orgId, c.id);
      if (what === 'unarchive') return ep.unarchiveConversation(orgId, c.id);
      return ep.removeConversationMember(orgId, c.id, what.remove.id);
    },
    onSuccess: (_, what) => {
      setConfirm(null);
      refresh();
      if (what === 'leave') {
        qc.setQueryData<Conversation[]>(chatKeys.conversations(orgId), (list) => list?.filter((x) => x.id !== c.id));
        onClose();
        navigate(basePath);
      }
    },
  });

  const canAddMembers = c.is_member && !c.archived && (channel || c.kind === 'group') && scopeCanParticipate;
  const title = conversationTitle(c, me.id);

  return (
    <>
      <Dialog open={open} onClose={onClose} title={channel ? `#${title}` : title} variant="drawer" testId="conversation-settings-dialog">
        <div className="stack-lg">
          {channel ? (
            <form
              className="stack"
              onSubmit={(e) => {
                e.preventDefault();
                save.mutate();
              }}
            >
              <h3>{t('chat.about')}</h3>
              {manager ? (
                <Field label={t('chat.channelName')}>
                  <input type="text" value={name} onChange={(e) => setName(e.target.value)} maxLength={80} required data-testid="settings-channel-name" disabled={c.archived} />
                </Field>
              ) : null}
              <Field label={t('chat.topic')}>
                <input type="text" value={topic} onChange={(e) => setTopic(e.target.value)} maxLength={250} data-testid="settings-topic" disabled={!c.is_member || c.archived} />
              </Field>
              <Field label={t('chat.description')}>
                <textarea value={description} onChange={(e) => setDescription(e.target.value)} rows={3} maxLength={1000} data-testid="settings-description" disabled={!c.is_member || c.archived} />
              </Field>
              <FormError error={save.error} testId="settings-error" />
              {c.is_member && !c.archived ? (
                <div className="form-actions">
                  <button type="submit" className="btn btn-primary" disabled={save.isPending} data-testid="settings-save">
                    {t('common.save')}
                  </button>
                </div>
              ) : null}
            </form>
          ) : null}

          {channel && manager && !c.archived ? (
            <section className="stack-sm" data-testid="settings-group-rules">
              <h3>{t('chat.groupRules')}</h3>
              {isOrgAdmin ? (
                <label className="checkbox">
                  <input
                    type="checkbox"
                    checked={c.org_wide}
                    disabled={rules.isPending}
                    onChange={(e) => rules.mutate({ org_wide: e.target.checked })}
                    data-testid="settings-org-wide"
                  />
                  <span>
                    <strong>{t('chat.orgWide')}</strong> — <span className="muted">{t('chat.orgWideHint')}</span>
                  </span>
                </label>
              ) : null}
              <label className="checkbox">
                <input
                  type="checkbox"
                  checked={c.announcement}
                  disabled={rules.isPending}
                  onChange={(e) => rules.mutate({ announcement: e.target.checked })}
                  data-testid="settings-announcement"
                />
                <span>
                  <strong>{t('chat.announcementMode')}</strong> — <span className="muted">{t('chat.announcementModeHint')}</span>
                </span>
              </label>
              <Field label={t('chat.slowMode')}>
                <select value={c.slow_mode_secs} disabled={rules.isPending} onChange={(e) => rules.mutate({ slow_mode_secs: Number(e.target.value) })} data-testid="settings-slow-mode">
                  {SLOW_MODES.map((s) => (
                    <option key={s} value={s}>
                      {slowModeLabel(s, t)}
                    </option>
                  ))}
                </select>
              </Field>
              <Field label={t('chat.mentionLimit')} hint={t('chat.mentionLimitHint')}>
                <input
                  type="number"
                  min={0}
                  max={100}
                  defaultValue={c.mention_limit}
                  key={c.mention_limit}
                  onBlur={(e) => {
                    const n = Math.max(0, Math.min(100, Math.round(Number(e.target.value) || 0)));
                    if (n !== c.mention_limit) rules.mutate({ mention_limit: n });
                  }}
                  data-testid="settings-mention-limit"
                />
              </Field>
            </section>
          ) : null}

          {c.is_member ? (
            <section className="stack-sm">
              <h3>{t('chat.notifications')}</h3>
              <label className="checkbox">
                <input
                  type="checkbox"
                  checked={muted}
                  onChange={(e) => {
                    setMutedNow(e.target.checked);
                    mute.mutate(e.target.checked);
                  }}
                  data-testid="settings-mute"
                />
                <span>
                  {t('chat.mute')} <span className="muted small">— {t('chat.muteHint')}</span>
                </span>
              </label>
              <Field label={t('chat.notifyLabel')} hint={t(channel ? 'chat.notifyDefaultChannel' : 'chat.notifyDefaultOther')}>
                <select
                  value={c.notify}
                  disabled={notifyPref.isPending}
                  onChange={(e) => {
                    const v = e.target.value;
                    if (v === 'default' || v === 'all' || v === 'mentions' || v === 'none') notifyPref.mutate(v);
                  }}
                  data-testid="settings-notify"
                >
                  <option value="default">{t('chat.notifyDefault')}</option>
                  <option value="all">{t('chat.notifyAll')}</option>
                  <option value="mentions">{t('chat.notifyMentions')}</option>
                  <option value="none">{t('chat.notifyNone')}</option>
                </select>
              </Field>
            </section>
          ) : null}

          <section className="stack-sm">
            <div className="card-header">
              <h3>{t('chat.membersTitle', { n: c.member_count })}</h3>
              {canAddMembers && !adding ? (
                <button type="button" className="btn btn-secondary btn-sm" onClick={() => setAdding([])} data-testid="settings-add-members">
                  <Icon name="plus" size={16} /> {t('chat.addMembers')}
                </button>
              ) : null}
            </div>
            {adding ? (
              <div className="stack-sm card padded">
                <MemberPicker selected={adding} onChange={setAdding} max={50} exclude={(members.data ?? []).map((m) => m.user.id)} testId="add-members-picker" />
                <FormError error={add.error} testId="add-members-error" />
                <div className="form-actions">
                  <button type="button" className="btn btn-secondary" onClick={() => setAdding(null)}>
                    {t('common.cancel')}
                  </button>
                  <button type="button" className="btn btn-primary" disabled={!adding.length || add.isPending} onClick={() => add.mutate(adding)} data-testid="add-members-submit">
                    {t('chat.addMembers')}
                  </button>
                </div>
              </div>
            ) : null}
            {members.isPending ? (
              <Loading />
            ) : members.isError ? (
              <QueryError error={members.error} onRetry={() => void members.refetch()} />
            ) : (
              <ul className="list" data-testid="settings-members">
                {members.data.map((m) => (
                  <li key={m.user.id} className="list-row" data-testid="settings-member-row" data-user-id={m.user.id}>
                    <PersonAvatar who={m.user} size={32} presence />
                    <div className="list-main min-w-0">
                      <span className="truncate">
                        {m.user.name}
                        {m.user.id === me.id ? <span className="muted"> ({t('common.you')})</span> : null}
                      </span>
                      <span className="small muted">
                        {m.role === 'owner' ? t('chat.roleOwner') : m.role === 'poster' ? t('chat.rolePoster') : t('chat.roleMember')}{' '}
                        <StatusBadge userId={m.user.id} />
                      </span>
                    </div>
                    {manager && channel && c.announcement && m.role !== 'owner' && !c.archived ? (
                      <button
                        type="button"
                        className="btn btn-ghost btn-sm"
                        disabled={role.isPending}
                        onClick={() => role.mutate({ userId: m.user.id, role: m.role === 'poster' ? 'member' : 'poster' })}
                        data-testid="settings-toggle-poster"
                      >
                        {m.role === 'poster' ? t('chat.makeMember') : t('chat.makePoster')}
                      </button>
                    ) : null}
                    {manager && channel && m.user.id !== me.id && !c.archived ? (
                      <button type="button" className="btn btn-ghost btn-sm danger" onClick={() => setConfirm({ remove: m.user })} data-testid="settings-remove-member">
                        {t('chat.removeMember')}
                      </button>
                    ) : null}
                  </li>
                ))}
              </ul>
            )}
          </section>

          <section className="stack-sm">
            {c.is_member && c.kind !== 'dm' ? (
              <button type="button" className="btn btn-danger-outline" onClick={() => setConfirm('leave')} data-testid="settings-leave">
                {channel ? t('chat.leaveChannel') : t('chat.leaveGroup')}
              </button>
            ) : null}
            {channel && manager ? (
              c.archived ? (
                <button type="button" className="btn btn-secondary" onClick={() => setConfirm('unarchive')} data-testid="settings-unarchive">
                  <Icon name="archive" size={16} /> {t('chat.unarchive')}
                </button>
              ) : (
                <button type="button" className="btn btn-danger-outline" onClick={() => setConfirm('archive')} data-testid="settings-archive">
                  <Icon name="archive" size={16} /> {t('chat.archive')}
                </button>
              )
            ) : null}
          </section>
        </div>
      </Dialog>
      <ConfirmDialog
        open={confirm !== null}
        message={
          confirm === 'leave'
            ? t('chat.confirmLeave', { name: title })
            : confirm === 'archive'
              ? t('chat.confirmArchive', { name: title })
              : confirm === 'unarchive'
                ? t('chat.confirmUnarchive', { name: title })
                : confirm
                  ? t('chat.confirmRemoveMember', { name: confirm.remove.name, channel: title })
                  : ''
        }
        confirmLabel={
          confirm === 'leave'
            ? channel
              ? t('chat.leaveChannel')
              : t('chat.leaveGroup')
            : confirm === 'archive'
              ? t('chat.archive')
              : confirm === 'unarchive'
                ? t('chat.unarchive')
                : t('chat.removeMember')
        }
        danger={confirm !== 'unarchive'}
        busy={act.isPending}
        onConfirm={() => confirm && act.mutate(confirm)}
        onCancel={() => {
          setConfirm(null);
          act.reset();
        }}
        error={<FormError error={act.error} testId="settings-confirm-error" />}
      />
    </>
  );
}
