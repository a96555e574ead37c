// `/o/:orgId/integrations`: incoming webhooks (a secret URL that posts into a channel), outgoing
// webhooks (matching messages POSTed, signed, to another system), the hosts they may reach on
// a private network, and bots with API tokens. Every secret is shown once, right after it is made.

import { useState, type FormEvent, type ReactNode } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { listChannels, listConversations } from '../../api/chatEndpoints';
import * as ep from '../../api/integrationsEndpoints';
import type { CreatedBot, CreatedIncomingWebhook, CreatedOutgoingWebhook, OutgoingWebhook } from '../../api/types';
import { CopyButton, CopyField } from '../../components/CopyButton';
import { ConfirmDialog } from '../../components/Dialog';
import { Field } from '../../components/Field';
import { FormError } from '../../components/FormError';
import { Icon } from '../../components/Icon';
import { EmptyState, Loading, PageHeader, QueryError } from '../../components/Page';
import { useToast } from '../../components/Toast';
import { useLanguage } from '../../i18n';
import { formatDateTime } from '../../lib/format';
import { absoluteLink } from '../../lib/links';
import { useOrgScope } from '../../shell/OrgContext';
import { channelLabel, channelOptions, curlExample, deliveryState, parseTriggerWords, withHost, type ChannelOption } from './integrations';

const keys = {
  incoming: (orgId: string) => ['webhooks-incoming', orgId] as const,
  outgoing: (orgId: string) => ['webhooks-outgoing', orgId] as const,
  allowList: (orgId: string) => ['webhooks-allow-list', orgId] as const,
  bots: (orgId: string) => ['bots', orgId] as const,
  channels: (orgId: string) => ['integrations-channels', orgId] as const,
};

/** What the delete dialog is about to remove. */
type Deleting =
  | { kind: 'incoming'; id: string; name: string }
  | { kind: 'outgoing'; id: string; name: string }
  | { kind: 'bot'; id: string; name: string };

/** Public channels and the private ones the admin is in. */
function useChannelOptions(orgId: string) {
  return useQuery({
    queryKey: keys.channels(orgId),
    queryFn: async () => {
      const [publics, mine] = await Promise.all([listChannels(orgId), listConversations(orgId)]);
      return channelOptions(publics, mine);
    },
  });
}

function nameOfChannel(channels: ChannelOption[] | undefined, id: string | null): string {
  if (!id) return '';
  return channels?.find((c) => c.id === id)?.label ?? channelLabel(id, null);
}

/** A secret right after it was made: copy it now, it is not shown again. */
function SecretOnce({ title, children, onDone, testId }: { title: string; children: ReactNode; onDone: () => void; testId: string }) {
  const { t } = useTranslation();
  return (
    <div className="alert alert-success stack-sm" data-testid={testId} aria-live="polite">
      <strong>{title}</strong>
      <p className="small">{t('integrations.shownOnce')}</p>
      {children}
      <div>
        <button type="button" className="btn btn-secondary btn-sm" onClick={onDone} data-testid={`${testId}-done`}>
          {t('integrations.done')}
        </button>
      </div>
    </div>
  );
}

function ChannelSelect({
  channels,
  value,
  onChange,
  allLabel,
  testId,
}: {
  channels: ChannelOption[];
  value: string;
  onChange: (id: string) => void;
  allLabel?: string;
  testId: string;
}) {
  const { t } = useTranslation();
  return (
    <select value={value} onChange={(e) => onChange(e.target.value)} data-testid={testId}>
      {allLabel ? <option value="">{allLabel}</option> : <option value="">{t('integrations.pickChannel')}</option>}
      {channels.map((c) => (
        <option key={c.id} value={c.id}>
          {c.label}
        </option>
      ))}
    </select>
  );
}

function IncomingCard({ orgId, channels, onDelete }: { orgId: string; channels: ChannelOption[]; onDelete: (d: Deleting) => void }) {
  const { t } = useTranslation();
  const lang = useLanguage();
  const qc = useQueryClient();
  const { me } = useOrgScope();
  const [name, setName] = useState('');
  const [channel, setChannel] = useState('');
  const [created, setCreated] = useState<CreatedIncomingWebhook | null>(null);
  const list = useQuery({ queryKey: keys.incoming(orgId), queryFn: () => ep.listIncoming(orgId) });
  const create = useMutation({
    mutationFn: () => ep.createIncoming(orgId, { name: name.trim(), conversation_id: channel }),
    onSuccess: (hook) => {
      setCreated(hook);
      setName('');
      void qc.invalidateQueries({ queryKey: keys.incoming(orgId) });
    },
  });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    setCreated(null);
    create.mutate();
  };
  const url = created ? absoluteLink(created.url, window.location.origin) : '';
  return (
    <section className="card stack" aria-labelledby="incoming-title" data-testid="incoming-card">
      <div className="stack-sm">
        <h2 id="incoming-title" className="card-title">
          <Icon name="download" size={18} />
          {t('integrations.incomingTitle')}
        </h2>
        <p className="muted small">{t('integrations.incomingHint')}</p>
      </div>
      <form className="stack" onSubmit={onSubmit} noValidate data-testid="incoming-form">
        <div className="grid-2">
          <Field label={t('integrations.name')} hint={t('integrations.incomingNameHint')}>
            <input type="text" value={name} maxLength={80} onChange={(e) => setName(e.target.value)} data-testid="incoming-name" />
          </Field>
          <Field label={t('integrations.channel')}>
            <ChannelSelect channels={channels} value={channel} onChange={setChannel} testId="incoming-channel" />
          </Field>
        </div>
        <FormError error={create.error} testId="incoming-error" />
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={create.isPending || !name.trim() || !channel} data-testid="incoming-create">
            {t('integrations.incomingCreate')}
          </button>
        </div>
      </form>
      {created ? (
        <SecretOnce title={t('integrations.incomingCreated', { name: created.name })} onDone={() => setCreated(null)} testId="incoming-created">
          <CopyField value={url} label={t('integrations.incomingUrl')} testId="incoming-url" copyTestId="incoming-url-copy" />
          <p className="small">{t('integrations.curlHint')}</p>
          <pre className="md-pre" data-testid="incoming-curl">
            {curlExample(url, t('integrations.curlText'))}
          </pre>
          <div>
            <CopyButton text={curlExample(url, t('integrations.curlText'))} label={t('integrations.copyExample')} className="btn btn-secondary btn-sm" testId="incoming-curl-copy" />
          </div>
        </SecretOnce>
      ) : null}
      {list.isPending ? <Loading /> : null}
      {list.isError ? <QueryError error={list.error} onRetry={() => void list.refetch()} /> : null}
      {list.data && list.data.length === 0 ? <EmptyState>{t('integrations.incomingEmpty')}</EmptyState> : null}
      {list.data?.length ? (
        <ul className="list" data-testid="incoming-list">
          {list.data.map((h) => (
            <li key={h.id} className="list-row" data-testid="incoming-row" data-webhook-id={h.id} data-name={h.name}>
              <div className="list-main">
                <strong className="truncate">{h.name}</strong>
                <span className="muted small">
                  {t('integrations.postsTo', { channel: nameOfChannel(channels, h.conversation_id) })} ·{' '}
                  {t('integrations.createdAt', { when: formatDateTime(h.created_at, me.user.time_zone, lang) })}
                </span>
              </div>
              <button
                type="button"
                className="btn btn-danger-outline btn-sm"
                onClick={() => onDelete({ kind: 'incoming', id: h.id, name: h.name })}
                data-testid="incoming-delete"
              >
                {t('common.delete')}
              </button>
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}

function DeliveryStatus({ hook }: { hook: OutgoingWebhook }) {
  const { t } = useTranslation();
  const lang = useLanguage();
  const { me } = useOrgScope();
  const state = deliveryState(hook);
  const when = hook.last_attempt_at ? formatDateTime(hook.last_attempt_at, me.user.time_zone, lang) : '';
  return (
    <div className="stack-sm" data-testid="outgoing-status" data-state={state}>
      <span>
        <span className={`badge ${state === 'ok' ? 'badge-success' : state === 'failed' ? 'badge-status-deactivated' : ''}`}>
          {t(`integrations.delivery_${state}`)}
        </span>{' '}
        {when ? <span className="muted small">{t('integrations.lastAttempt', { when })}</span> : null}
      </span>
      {state === 'failed' ? (
        <span className="small" data-testid="outgoing-last-error">
          {t('integrations.failures', { count: hook.failures })}
          {hook.last_error ? <> — <span className="mono break">{hook.last_error}</span></> : null}
        </span>
      ) : null}
    </div>
  );
}

function OutgoingCard({ orgId, channels, onDelete }: { orgId: string; channels: ChannelOption[]; onDelete: (d: Deleting) => void }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const [name, setName] = useState('');
  const [channel, setChannel] = useState('');
  const [url, setUrl] = useState('https://');
  const [words, setWords] = useState('');
  const [created, setCreated] = useState<CreatedOutgoingWebhook | null>(null);
  const list = useQuery({ queryKey: keys.outgoing(orgId), queryFn: () => ep.listOutgoing(orgId) });
  const create = useMutation({
    mutationFn: () =>
      ep.createOutgoing(orgId, {
        name: name.trim(),
        conversation_id: channel || null,
        url: url.trim(),
        trigger_words: parseTriggerWords(words),
      }),
    onSuccess: (hook) => {
      setCreated(hook);
      setName('');
      setUrl('https://');
      setWords('');
      void qc.invalidateQueries({ queryKey: keys.outgoing(orgId) });
    },
  });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    setCreated(null);
    create.mutate();
  };
  return (
    <section className="card stack" aria-labelledby="outgoing-title" data-testid="outgoing-card">
      <div className="stack-sm">
        <h2 id="outgoing-title" className="card-title">
          <Icon name="send" size={18} />
          {t('integrations.outgoingTitle')}
        </h2>
        <p className="muted small">{t('integrations.outgoingHint')}</p>
      </div>
      <form className="stack" onSubmit={onSubmit} noValidate data-testid="outgoing-form">
        <div className="grid-2">
          <Field label={t('integrations.name')}>
            <input type="text" value={name} maxLength={80} onChange={(e) => setName(e.target.value)} data-testid="outgoing-name" />
          </Field>
          <Field label={t('integrations.channel')}>
            <ChannelSelect channels={channels} value={channel} onChange={setChannel} allLabel={t('integrations.allChannels')} testId="outgoing-channel" />
          </Field>
        </div>
        <Field label={t('integrations.url')} hint={t('integrations.urlHint')}>
          <input
            type="url"
            inputMode="url"
            autoComplete="off"
            spellCheck={false}
            value={url}
            maxLength={2000}
            onChange={(e) => setUrl(e.target.value)}
            data-testid="outgoing-url"
          />
        </Field>
        <Field
          label={t('integrations.triggerWords')}
          hint={channel ? t('integrations.triggerHintChannel') : t('integrations.triggerHintAll')}
          optional={!!channel}
          optionalLabel={t('common.optional')}
         
        >
          <input type="text" autoComplete="off" autoCapitalize="none" spellCheck={false} value={words} onChange={(e) => setWords(e.target.value)} data-testid="outgoing-words" />
        </Field>
        <FormError error={create.error} testId="outgoing-error" />
        <div className="form-actions">
          <button
            type="submit"
            className="btn btn-primary"
            disabled={create.isPending || !name.trim() || !url.trim()}
            data-testid="outgoing-create"
          >
            {t('integrations.outgoingCreate')}
          </button>
        </div>
      </form>
      {created ? (
        <SecretOnce title={t('integrations.outgoingCreated', { name: created.name })} onDone={() => setCreated(null)} testId="outgoing-created">
          <CopyField value={created.signing_secret} label={t('integrations.signingSecret')} testId="outgoing-secret" copyTestId="outgoing-secret-copy" />
          <p className="small">{t('integrations.signingHint')}</p>
        </SecretOnce>
      ) : null}
      {list.isPending ? <Loading /> : null}
      {list.isError ? <QueryError error={list.error} onRetry={() => void list.refetch()} /> : null}
      {list.data && list.data.length === 0 ? <EmptyState>{t('integrations.outgoingEmpty')}</EmptyState> : null}
      {list.data?.length ? (
        <ul className="list" data-testid="outgoing-list">
          {list.data.map((h) => (
            <li key={h.id} className="list-row" data-testid="outgoing-row" data-webhook-id={h.id} data-name={h.name}>
              <div className="list-main">
                <strong className="truncate">{h.name}</strong>
                <span className="mono small break">{h.url}</span>
                <span className="muted small">
                  {h.conversation_id ? nameOfChannel(channels, h.conversation_id) : t('integrations.allChannelsShort')}
                  {h.trigger_words.length ? ` · ${t('integrations.wordsList', { words: h.trigger_words.join(', ') })}` : ''}
                </span>
                <DeliveryStatus hook={h} />
              </div>
              <button
                type="button"
                className="btn btn-danger-outline btn-sm"
                onClick={() => onDelete({ kind: 'outgoing', id: h.id, name: h.name })}
                data-testid="outgoing-delete"
              >
                {t('common.delete')}
              </button>
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}

function AllowListCard({ orgId }: { orgId: string }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const [host, setHost] = useState('');
  const list = useQuery({ queryKey: keys.allowList(orgId), queryFn: () => ep.getAllowList(orgId) });
  const save = useMutation({
    mutationFn: (hosts: string[]) => ep.putAllowList(orgId, hosts),
    onSuccess: (r) => {
      qc.setQueryData(keys.allowList(orgId), r);
      setHost('');
    },
  });
  const hosts = list.data?.hosts ?? [];
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    if (host.trim()) save.mutate(withHost(hosts, host));
  };
  return (
    <section className="card stack" aria-labelledby="allow-title" data-testid="allow-list-card">
      <div className="stack-sm">
        <h2 id="allow-title" className="card-title">
          <Icon name="shield" size={18} />
          {t('integrations.allowTitle')}
        </h2>
        <p className="muted small">{t('integrations.allowHint')}</p>
      </div>
      {list.isPending ? <Loading /> : null}
      {list.isError ? <QueryError error={list.error} onRetry={() => void list.refetch()} /> : null}
      {list.data ? (
        hosts.length ? (
          <ul className="chips" data-testid="allow-list">
            {hosts.map((h) => (
              <li key={h} className="chip" data-testid="allow-host" data-host={h}>
                <span className="mono">{h}</span>
                <button
                  type="button"
                  className="chip-remove"
                  aria-label={t('integrations.removeHost', { host: h })}
                  disabled={save.isPending}
                  onClick={() => save.mutate(hosts.filter((x) => x !== h))}
                  data-testid="allow-host-remove"
                >
                  <Icon name="close" size={14} />
                </button>
              </li>
            ))}
          </ul>
        ) : (
          <p className="muted small" data-testid="allow-list-empty">{t('integrations.allowEmpty')}</p>
        )
      ) : null}
      <form className="inline-form" onSubmit={onSubmit} noValidate>
        <Field label={t('integrations.host')} className="grow">
          <input
            type="text"
            inputMode="url"
            autoComplete="off"
            autoCapitalize="none"
            spellCheck={false}
            placeholder="10.0.0.5"
            value={host}
            onChange={(e) => setHost(e.target.value)}
            data-testid="allow-host-input"
          />
        </Field>
        <button type="submit" className="btn btn-secondary" disabled={save.isPending || !host.trim()} data-testid="allow-host-add">
          <Icon name="plus" size={16} />
          {t('integrations.addHost')}
        </button>
      </form>
      <FormError error={save.error} testId="allow-list-error" />
    </section>
  );
}

function BotsCard({ orgId, onDelete }: { orgId: string; onDelete: (d: Deleting) => void }) {
  const { t } = useTranslation();
  const lang = useLanguage();
  const qc = useQueryClient();
  const { me } = useOrgScope();
  const [name, setName] = useState('');
  const [created, setCreated] = useState<CreatedBot | null>(null);
  const list = useQuery({ queryKey: keys.bots(orgId), queryFn: () => ep.listBots(orgId) });
  const create = useMutation({
    mutationFn: () => ep.createBot(orgId, name.trim()),
    onSuccess: (bot) => {
      setCreated(bot);
      setName('');
      void qc.invalidateQueries({ queryKey: keys.bots(orgId) });
    },
  });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    setCreated(null);
    create.mutate();
  };
  return (
    <section className="card stack" aria-labelledby="bots-title" data-testid="bots-card">
      <div className="stack-sm">
        <h2 id="bots-title" className="card-title">
          <Icon name="user" size={18} />
          {t('integrations.botsTitle')}
        </h2>
        <p className="muted small">{t('integrations.botsHint')}</p>
      </div>
      <form className="inline-form" onSubmit={onSubmit} noValidate data-testid="bot-form">
        <Field label={t('integrations.botName')} className="grow">
          <input type="text" value={name} maxLength={80} onChange={(e) => setName(e.target.value)} data-testid="bot-name" />
        </Field>
        <button type="submit" className="btn btn-primary" disabled={create.isPending || !name.trim()} data-testid="bot-create">
          {t('integrations.botCreate')}
        </button>
      </form>
      <FormError error={create.error} testId="bot-error" />
      {created ? (
        <SecretOnce title={t('integrations.botCreated', { name: created.name })} onDone={() => setCreated(null)} testId="bot-created">
          <CopyField value={created.token} label={t('integrations.botToken')} testId="bot-token" copyTestId="bot-token-copy" />
          <p className="small">{t('integrations.botTokenHint')}</p>
        </SecretOnce>
      ) : null}
      {list.isPending ? <Loading /> : null}
      {list.isError ? <QueryError error={list.error} onRetry={() => void list.refetch()} /> : null}
      {list.data && list.data.length === 0 ? <EmptyState>{t('integrations.botsEmpty')}</EmptyState> : null}
      {list.data?.length ? (
        <ul className="list" data-testid="bot-list">
          {list.data.map((b) => (
            <li key={b.id} className="list-row" data-testid="bot-row" data-bot-id={b.id} data-name={b.name}>
              <div className="list-main">
                <strong className="truncate">{b.name}</strong>
                <span className="muted small">{t('integrations.createdAt', { when: formatDateTime(b.created_at, me.user.time_zone, lang) })}</span>
              </div>
              <button type="button" className="btn btn-danger-outline btn-sm" onClick={() => onDelete({ kind: 'bot', id: b.id, name: b.name })} data-testid="bot-delete">
                {t('common.delete')}
              </button>
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}

export default function IntegrationsPage() {
  const { t } = useTranslation();
  const notify = useToast();
  const qc = useQueryClient();
  const { orgId, membership } = useOrgScope();
  const channels = useChannelOptions(orgId);
  const [deleting, setDeleting] = useState<Deleting | null>(null);
  const remove = useMutation({
    mutationFn: (d: Deleting) =>
      d.kind === 'incoming' ? ep.deleteIncoming(orgId, d.id) : d.kind === 'outgoing' ? ep.deleteOutgoing(orgId, d.id) : ep.deleteBot(orgId, d.id),
    onSuccess: (_, d) => {
      setDeleting(null);
      notify(t('integrations.deleted', { name: d.name }));
      const key = d.kind === 'incoming' ? keys.incoming(orgId) : d.kind === 'outgoing' ? keys.outgoing(orgId) : keys.bots(orgId);
      void qc.invalidateQueries({ queryKey: key });
    },
  });
  const ask = (d: Deleting) => {
    remove.reset();
    setDeleting(d);
  };
  return (
    <div className="stack-lg narrow-page">
      <PageHeader title={t('integrations.title')} subtitle={t('integrations.subtitle', { org: membership.org.name })} />
      {channels.isError ? <QueryError error={channels.error} onRetry={() => void channels.refetch()} /> : null}
      <IncomingCard orgId={orgId} channels={channels.data ?? []} onDelete={ask} />
      <OutgoingCard orgId={orgId} channels={channels.data ?? []} onDelete={ask} />
      <AllowListCard orgId={orgId} />
      <BotsCard orgId={orgId} onDelete={ask} />
      <ConfirmDialog
        open={!!deleting}
        message={deleting ? t(`integrations.confirmDelete_${deleting.kind}`, { name: deleting.name }) : ''}
        confirmLabel={deleting?.kind === 'bot' ? t('integrations.deleteBot') : t('integrations.deleteWebhook')}
        danger
        busy={remove.isPending}
        onConfirm={() => deleting && remove.mutate(deleting)}
        onCancel={() => setDeleting(null)}
        error={<FormError error={remove.error} />}
      />
    </div>
  );
}
