// Rapat — the meetings screen (lazily loaded): start an instant meeting, join one by its ID
// (grouped `812 3456 7890` as it is typed, or a pasted link) and passcode, and my live and
// recent meetings. The meeting itself runs full screen at /meet/:number.

import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { createMeeting, listMeetings, type Meeting } from '../../api/meetEndpoints';
import { CopyButton } from '../../components/CopyButton';
import { Field } from '../../components/Field';
import { FormError } from '../../components/FormError';
import { Icon } from '../../components/Icon';
import { EmptyState, Loading, PageHeader, QueryError } from '../../components/Page';
import { useLanguage } from '../../i18n';
import { formatDateTime, formatNumber } from '../../lib/format';
import {
  formatMeetingNumber,
  isValidPasscode,
  joinLink,
  meetPath,
  parseJoinLink,
  parseMeetingNumber,
  reformatTyping,
} from '../../lib/meet/number';
import { orgPath } from '../../shell/nav';
import { useOrgScope } from '../../shell/OrgContext';
import { mayOpenAttendance } from './attendance';
import './meet.css';

export const meetingKeys = { list: (orgId: string) => ['meetings', orgId] as const };

export function meetingTitle(m: { title: string; host_name: string }, t: (k: string, o?: Record<string, string>) => string): string {
  return m.title.trim() || t('meet.untitled', { host: m.host_name });
}

function NewMeetingCard({ orgId }: { orgId: string }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const [title, setTitle] = useState('');
  const [passcode, setPasscode] = useState('');
  const [touched, setTouched] = useState(false);
  const passcodeOk = passcode === '' || isValidPasscode(passcode);
  const create = useMutation({
    mutationFn: () => createMeeting(orgId, { title: title.trim() || undefined, passcode: passcode || undefined }),
    onSuccess: (m) => {
      void qc.invalidateQueries({ queryKey: meetingKeys.list(orgId) });
      navigate(meetPath(m.number, m.passcode));
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    if (passcodeOk) create.mutate();
  };
  return (
    <section className="card meet-card" aria-labelledby="meet-new-title">
      <div className="meet-card-icon" aria-hidden="true">
        <Icon name="video" size={22} />
      </div>
      <h2 id="meet-new-title">{t('meet.newTitle')}</h2>
      <p className="muted small">{t('meet.newHint')}</p>
      <form className="stack" onSubmit={submit} noValidate data-testid="meet-new-form">
        <Field label={t('meet.topic')} optional optionalLabel={t('common.optional')}>
          <input type="text" maxLength={200} value={title} onChange={(e) => setTitle(e.target.value)} placeholder={t('meet.topicPlaceholder')} data-testid="meet-new-title" />
        </Field>
        <Field
          label={t('meet.passcode')}
          optional
          optionalLabel={t('common.optional')}
          hint={t('meet.passcodeNewHint')}
          error={touched && !passcodeOk ? t('meet.passcodeInvalid') : undefined}
        >
          <input
            type="text"
            autoComplete="off"
            spellCheck={false}
            maxLength={10}
            value={passcode}
            onChange={(e) => setPasscode(e.target.value.replace(/\s/g, ''))}
            data-testid="meet-new-passcode"
          />
        </Field>
        <FormError error={create.error} testId="meet-new-error" />
        <button type="submit" className="btn btn-primary btn-block" disabled={create.isPending} data-testid="meet-new-submit">
          <Icon name="video" size={18} />
          {create.isPending ? t('meet.starting') : t('meet.start')}
        </button>
      </form>
    </section>
  );
}

/** The meeting-ID input: regroups digits while typing and keeps the caret in place. */
export function MeetingIdInput({
  value,
  onChange,
  onLink,
  testId,
  ...rest
}: {
  value: string;
  onChange: (v: string) => void;
  /** A pasted join link: number and passcode at once. */
  onLink?: (number: string, passcode: string | null) => void;
  testId?: string;
  id?: string;
  'aria-describedby'?: string;
  'aria-invalid'?: boolean;
}) {
  const ref = useRef<HTMLInputElement>(null);
  const caret = useRef<number | null>(null);
  useEffect(() => {
    if (caret.current !== null && ref.current && document.activeElement === ref.current) {
      ref.current.setSelectionRange(caret.current, caret.current);
      caret.current = null;
    }
  });
  return (
    <input
      {...rest}
      ref={ref}
      type="text"
      inputMode="numeric"
      autoComplete="off"
      placeholder="812 3456 7890"
      className="meet-id-input"
      value={value}
      data-testid={testId}
      onPaste={(e) => {
        const text = e.clipboardData.getData('text');
        const link = parseJoinLink(text);
        if (link && onLink) {
          e.preventDefault();
          onLink(formatMeetingNumber(link.number), link.passcode);
        }
      }}
      onChange={(e) => {
        const r = reformatTyping(e.target.value, e.target.selectionStart ?? e.target.value.length);
        caret.current = r.caret;
        onChange(r.value);
      }}
    />
  );
}

function JoinCard() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const [number, setNumber] = useState('');
  const [passcode, setPasscode] = useState('');
  const [touched, setTouched] = useState(false);
  const digits = parseMeetingNumber(number);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    if (digits) navigate(meetPath(digits, passcode.trim() || null));
  };
  return (
    <section className="card meet-card" aria-labelledby="meet-join-title">
      <div className="meet-card-icon meet-card-icon-blue" aria-hidden="true">
        <Icon name="plus" size={22} />
      </div>
      <h2 id="meet-join-title">{t('meet.joinTitle')}</h2>
      <p className="muted small">{t('meet.joinHint')}</p>
      <form className="stack" onSubmit={submit} noValidate data-testid="meet-join-form">
        <Field label={t('meet.meetingId')} error={touched && !digits ? t('meet.meetingIdInvalid') : undefined}>
          <MeetingIdInput
            value={number}
            onChange={setNumber}
            onLink={(n, p) => {
              setNumber(n);
              if (p) setPasscode(p);
            }}
            testId="meet-join-number"
          />
        </Field>
        <Field label={t('meet.passcode')}>
          <input type="text" autoComplete="off" spellCheck={false} maxLength={10} value={passcode} onChange={(e) => setPasscode(e.target.value.trim())} data-testid="meet-join-passcode" />
        </Field>
        <button type="submit" className="btn btn-secondary btn-block" data-testid="meet-join-submit">
          {t('meet.join')}
        </button>
      </form>
    </section>
  );
}

function MeetingRow({ m }: { m: Meeting }) {
  const { t } = useTranslation();
  const { me, membership } = useOrgScope();
  const lang = useLanguage();
  const navigate = useNavigate();
  const zone = me.user.time_zone;
  const live = m.status === 'live';
  return (
    <li className="meet-row" data-testid="meeting-row" data-meeting-id={m.id} data-status={m.status}>
      <div className={`meet-row-icon${live ? ' live' : ''}`} aria-hidden="true">
        <Icon name="video" size={18} />
      </div>
      <div className="grow">
        <div className="meet-row-title truncate">{meetingTitle(m, t)}</div>
        <div className="muted small meet-row-meta">
          <span className="mono">{formatMeetingNumber(m.number)}</span>
          <span>{t('meet.startedAt', { when: formatDateTime(m.created_at, zone, lang) })}</span>
          {live ? <span>{t('meet.participantCount', { count: formatNumber(m.participant_count, lang) })}</span> : null}
        </div>
      </div>
      <div className="meet-row-actions">
        {mayOpenAttendance({ role: membership.role, isLeader: membership.is_leader, userId: me.user.id }, m) ? (
          <Link to={orgPath(m.org_id, `meet/${encodeURIComponent(m.id)}/attendance`)} className="btn btn-ghost btn-sm" data-testid="meeting-attendance">
            {t('attendance.open')}
          </Link>
        ) : null}
        {live ? (
          <>
            <span className="badge badge-success">{t('meet.live')}</span>
            {m.passcode ? <CopyButton text={joinLink(window.location.origin, m.number, m.passcode)} label={t('meet.copyLink')} className="btn btn-ghost btn-sm" testId="meeting-copy-link" /> : null}
            <button type="button" className="btn btn-primary btn-sm" onClick={() => navigate(meetPath(m.number, m.passcode))} data-testid="meeting-rejoin">
              {t('meet.join')}
            </button>
          </>
        ) : (
          <span className="badge">{t('meet.ended')}</span>
        )}
      </div>
    </li>
  );
}

export default function MeetingsPage() {
  const { t } = useTranslation();
  const { orgId } = useOrgScope();
  const list = useQuery({ queryKey: meetingKeys.list(orgId), queryFn: () => listMeetings(orgId), refetchInterval: 30_000 });
  return (
    <div className="stack-lg meet-home" data-testid="meetings">
      <PageHeader title={t('meet.title')} subtitle={t('meet.subtitle')} />
      <div className="meet-cards">
        <NewMeetingCard orgId={orgId} />
        <JoinCard />
      </div>
      <section className="card" aria-labelledby="meet-list-title">
        <div className="card-header">
          <h2 id="meet-list-title">{t('meet.listTitle')}</h2>
        </div>
        {list.isPending ? (
          <Loading />
        ) : list.isError ? (
          <QueryError error={list.error} onRetry={() => void list.refetch()} />
        ) : list.data.meetings.length === 0 ? (
          <EmptyState>{t('meet.listEmpty')}</EmptyState>
        ) : (
          <ul className="meet-list" data-testid="meeting-list">
            {list.data.meetings.map((m) => (
              <MeetingRow key={m.id} m={m} />
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}
