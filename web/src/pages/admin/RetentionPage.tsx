// `/o/:orgId/chat-retention`: how long chat is kept, legal holds per channel, and exports.

import { useEffect, useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import * as ep from '../../api/retentionEndpoints';
import type { ChatExport, Retention, RetentionConversation } from '../../api/types';
import { FormError } from '../../components/FormError';
import { EmptyState, Loading, PageHeader, QueryError } from '../../components/Page';
import { useToast } from '../../components/Toast';
import { useLanguage } from '../../i18n';
import { formatDateTime, formatNumber } from '../../lib/format';
import { useOrgScope } from '../../shell/OrgContext';

const retentionKey = (orgId: string) => ['chat-retention', orgId] as const;
const exportsKey = (orgId: string) => ['chat-exports', orgId] as const;

function channelLabel(c: RetentionConversation): string {
  return c.name ? `#${c.name}` : `#${c.id.slice(0, 8)}`;
}

function RetentionPolicyCard({ orgId, retention }: { orgId: string; retention: Retention }) {
  const { t } = useTranslation();
  const notify = useToast();
  const qc = useQueryClient();
  const [forever, setForever] = useState(retention.keep_days === null);
  const [days, setDays] = useState(String(retention.keep_days ?? 365));
  useEffect(() => {
    setForever(retention.keep_days === null);
    setDays(String(retention.keep_days ?? 365));
  }, [retention.keep_days]);
  const save = useMutation({
    mutationFn: () => ep.putRetention(orgId, forever ? null : Number(days)),
    onSuccess: (r) => {
      qc.setQueryData(retentionKey(orgId), r);
      notify(t('common.saved'));
    },
  });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  return (
    <form className="card stack" onSubmit={onSubmit} noValidate data-testid="retention-policy">
      <h2>{t('retention.policyTitle')}</h2>
      <label className="checkbox">
        <input type="radio" name="keep" checked={forever} onChange={() => setForever(true)} data-testid="retention-forever" />
        {t('retention.keepForever')}
      </label>
      <label className="checkbox">
        <input type="radio" name="keep" checked={!forever} onChange={() => setForever(false)} data-testid="retention-limited" />
        {t('retention.keepDays')}
        <input
          type="number"
          min={1}
          max={3650}
          value={days}
          disabled={forever}
          onChange={(e) => setDays(e.target.value)}
          aria-label={t('retention.days')}
          style={{ width: '6rem', marginInline: '0.5rem' }}
          data-testid="retention-days"
        />
        {t('retention.days')}
      </label>
      {!forever ? (
        <p className="alert alert-warning" role="note" data-testid="retention-warning">
          {t('retention.warning', { days: days || '…' })}
        </p>
      ) : null}
      <FormError error={save.error} />
      <div>
        <button type="submit" className="btn btn-primary" disabled={save.isPending} data-testid="retention-save">
          {t('retention.save')}
        </button>
      </div>
    </form>
  );
}

function HoldRow({ orgId, conversation }: { orgId: string; conversation: RetentionConversation }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const [reason, setReason] = useState(conversation.hold_reason ?? '');
  // The switch moves at once; a refused change moves it back.
  const [held, setHeld] = useState(conversation.legal_hold);
  useEffect(() => setHeld(conversation.legal_hold), [conversation.legal_hold]);
  const toggle = useMutation({
    mutationFn: (on: boolean) => ep.putLegalHold(orgId, conversation.id, on, reason.trim()),
    onMutate: (on) => setHeld(on),
    onError: () => setHeld(conversation.legal_hold),
    onSuccess: () => void qc.invalidateQueries({ queryKey: retentionKey(orgId) }),
  });
  return (
    <tr data-testid="hold-row" data-name={conversation.name ?? ''}>
      <td>{channelLabel(conversation)}</td>
      <td>
        <input
          type="text"
          value={reason}
          maxLength={500}
          placeholder={t('retention.holdReason')}
          aria-label={t('retention.holdReason')}
          disabled={held}
          onChange={(e) => setReason(e.target.value)}
          data-testid="hold-reason"
        />
      </td>
      <td>
        <label className="checkbox">
          <input
            type="checkbox"
            role="switch"
            checked={held}
            disabled={toggle.isPending}
            onChange={(e) => toggle.mutate(e.target.checked)}
            data-testid="hold-toggle"
          />
          {t('retention.hold')}
        </label>
        <FormError error={toggle.error} />
      </td>
    </tr>
  );
}

function ExportsCard({ orgId, conversations }: { orgId: string; conversations: RetentionConversation[] }) {
  const { t } = useTranslation();
  const lang = useLanguage();
  const notify = useToast();
  const qc = useQueryClient();
  const { me } = useOrgScope();
  const [scope, setScope] = useState('');
  const exports = useQuery({
    queryKey: exportsKey(orgId),
    queryFn: () => ep.listExports(orgId),
    // Poll while one is being built.
    refetchInterval: (q) => ((q.state.data as ChatExport[] | undefined)?.some((e) => e.state === 'pending') ? 1000 : false),
  });
  const start = useMutation({
    mutationFn: () => ep.createExport(orgId, scope || undefined),
    onSuccess: () => {
      notify(t('retention.exportStarted'));
      void qc.invalidateQueries({ queryKey: exportsKey(orgId) });
    },
  });
  const nameOf = (id: string | null) => {
    if (!id) return t('retention.wholeOrg');
    const c = conversations.find((x) => x.id === id);
    return c ? channelLabel(c) : `#${id.slice(0, 8)}`;
  };
  return (
    <section className="card stack" data-testid="retention-exports">
      <h2>{t('retention.exportTitle')}</h2>
      <p className="muted">{t('retention.exportHint')}</p>
      <div className="button-row">
        <label>
          {t('retention.exportScope')}{' '}
          <select value={scope} onChange={(e) => setScope(e.target.value)} data-testid="export-scope">
            <option value="">{t('retention.wholeOrg')}</option>
            {conversations.map((c) => (
              <option key={c.id} value={c.id}>
                {channelLabel(c)}
              </option>
            ))}
          </select>
        </label>
        <button type="button" className="btn btn-primary" disabled={start.isPending} onClick={() => start.mutate()} data-testid="export-start">
          {t('retention.exportStart')}
        </button>
      </div>
      <FormError error={start.error} />
      {exports.isPending ? <Loading /> : null}
      {exports.isError ? <QueryError error={exports.error} onRetry={() => void exports.refetch()} /> : null}
      {exports.data && exports.data.length === 0 ? <EmptyState>{t('retention.exportsEmpty')}</EmptyState> : null}
      {exports.data?.length ? (
        <div className="table-scroll">
          <table className="table" data-testid="exports-table">
            <thead>
              <tr>
                <th scope="col">{t('retention.created')}</th>
                <th scope="col">{t('retention.scope')}</th>
                <th scope="col">{t('retention.state')}</th>
                <th scope="col">{t('retention.size')}</th>
                <th scope="col" />
              </tr>
            </thead>
            <tbody>
              {exports.data.map((e) => (
                <tr key={e.id} data-testid="export-row" data-state={e.state}>
                  <td>{formatDateTime(e.created_at, me.user.time_zone, lang)}</td>
                  <td>{nameOf(e.conversation_id)}</td>
                  <td>{t(`retention.state_${e.state}`)}</td>
                  <td>{e.size_bytes === null ? '' : `${formatNumber(Math.max(1, Math.round(e.size_bytes / 1024)), lang)} KB`}</td>
                  <td>
                    {e.state === 'done' ? (
                      <a className="btn btn-secondary btn-sm" href={ep.exportDownloadUrl(orgId, e.id)} download data-testid="export-download">
                        {t('retention.download')}
                      </a>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}

export default function RetentionPage() {
  const { t } = useTranslation();
  const { orgId, membership } = useOrgScope();
  const retention = useQuery({ queryKey: retentionKey(orgId), queryFn: () => ep.getRetention(orgId) });
  return (
    <div className="stack-lg narrow-page">
      <PageHeader title={t('retention.title')} subtitle={t('retention.subtitle', { org: membership.org.name })} />
      {retention.isPending ? <Loading /> : null}
      {retention.isError ? <QueryError error={retention.error} onRetry={() => void retention.refetch()} /> : null}
      {retention.data ? (
        <>
          <RetentionPolicyCard orgId={orgId} retention={retention.data} />
          <section className="card stack" data-testid="retention-holds">
            <h2>{t('retention.holdsTitle')}</h2>
            <p className="muted">{t('retention.holdsHint')}</p>
            {retention.data.conversations.length === 0 ? (
              <EmptyState>{t('retention.noChannels')}</EmptyState>
            ) : (
              <div className="table-scroll">
                <table className="table">
                  <tbody>
                    {retention.data.conversations.map((c) => (
                      <HoldRow key={c.id} orgId={orgId} conversation={c} />
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>
          <ExportsCard orgId={orgId} conversations={retention.data.conversations} />
        </>
      ) : null}
    </div>
  );
}
