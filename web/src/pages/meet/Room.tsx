// The meeting room: a MeetSession (socket + two peer connections) drawn as gallery / speaker /
// screen-share layouts with the control bar, chat and participants panels, host controls, the
// waiting room and the prompts the host can cause (muted, asked to unmute, video stopped).

import { useCallback, useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import {
  endMeeting,
  muteAll,
  participantAction,
  patchMeeting,
  type JoinResult,
  type Participant,
  type ParticipantAction,
} from '../../api/meetEndpoints';
import { CopyButton } from '../../components/CopyButton';
import { ConfirmDialog, Dialog } from '../../components/Dialog';
import { Field } from '../../components/Field';
import { Icon } from '../../components/Icon';
import { useToast } from '../../components/Toast';
import { errorMessage } from '../../lib/errors';
import { mainSpeaker, orderPeople, pageSize, paginate, type Size } from '../../lib/meet/layout';
import { formatMeetingNumber, joinLink } from '../../lib/meet/number';
import { Popover } from '../chat/Popover';
import { Controls, type ViewMode } from './Controls';
import { useElementSize, useSrcObject, useTrackStream, useViewport } from './hooks';
import type { LocalMedia } from './media';
import { MeetFrame, Preview } from './MeetPage';
import { meetingTitle } from './MeetingsPage';
import { ChatPanel, ParticipantMenu, ParticipantsPanel, type HostApi } from './Panels';
import { FINAL_PHASES, MeetSession, type Notice, type Phase, type RemoteTrack } from './session';
import { useStore } from './store';
import { Filmstrip, GalleryGrid, QualityBars, ScreenTile, SpeakerStage, ViewReportContext, type LayoutProps, type Person } from './Tiles';

declare global {
  interface Window {
    /** Read-only handles for end-to-end tests (getStats on the connections). */
    __kantorMeet?: {
      readonly pubPc: RTCPeerConnection | null;
      readonly subPc: RTCPeerConnection | null;
      readonly peers: unknown[];
      readonly tracks: Record<string, unknown>;
      readonly phase: string;
      readonly quality: unknown;
      /** Drops the socket as a network failure would; the room reconnects. */
      dropSocket(): void;
    };
  }
}

export function Room({
  join,
  passcode,
  media,
  onFinal,
}: {
  join: JoinResult;
  passcode: string;
  media: LocalMedia;
  onFinal: (phase: Phase, code: string | null) => void;
}) {
  const [session, setSession] = useState<MeetSession | null>(null);
  useEffect(() => {
    const s = new MeetSession(join.token, join.ice_servers ?? [], media);
    setSession(s);
    s.connect();
    const hook: NonNullable<Window['__kantorMeet']> = {
      get pubPc() {
        return s.pubPc;
      },
      get subPc() {
        return s.subPc;
      },
      get peers() {
        return s.state.peers;
      },
      get tracks() {
        return s.subTracks;
      },
      get phase() {
        return s.state.phase;
      },
      get quality() {
        return s.lastSample;
      },
      dropSocket() {
        s.dropSocket();
      },
    };
    window.__kantorMeet = hook;
    return () => {
      s.leave();
      if (window.__kantorMeet === hook) delete window.__kantorMeet;
    };
  }, [join.token, join.ice_servers, media]);
  if (!session) return <div className="meet-room" />;
  return <RoomInner session={session} join={join} passcode={passcode} media={media} onFinal={onFinal} />;
}

function RemoteAudio({ track }: { track: RemoteTrack }) {
  const ref = useSrcObject<HTMLAudioElement>(track.stream);
  return <audio ref={ref} autoPlay data-testid="remote-audio" data-track={track.key} />;
}

function WaitingScreen({ media, name, title, onLeave }: { media: LocalMedia; name: string; title: string; onLeave: () => void }) {
  const { t } = useTranslation();
  useEffect(() => {
    document.title = `${t('meet.waitingTitle')} · Kantor`;
  }, [t]);
  return (
    <MeetFrame testId="waiting-room">
      <div className="prejoin">
        <div className="prejoin-media">
          <Preview media={media} name={name} />
        </div>
        <div className="prejoin-form stack waiting-box">
          <span className="spinner waiting-spinner" aria-hidden="true" />
          <h1>{t('meet.waitingTitle')}</h1>
          <p className="muted">{t('meet.waitingBody')}</p>
          <p className="small">{title}</p>
          <button type="button" className="btn btn-secondary" onClick={onLeave} data-testid="waiting-leave">
            {t('meet.leave')}
          </button>
        </div>
      </div>
    </MeetFrame>
  );
}

function RenameDialog({ person, onClose, onSave }: { person: Person | null; onClose: () => void; onSave: (name: string) => void }) {
  const { t } = useTranslation();
  const [name, setName] = useState('');
  useEffect(() => setName(person?.name ?? ''), [person]);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (name.trim()) onSave(name.trim());
  };
  return (
    <Dialog
      open={!!person}
      onClose={onClose}
      title={t('meet.renameTitle')}
      testId="rename-dialog"
      footer={
        <>
          <button type="button" className="btn btn-secondary" onClick={onClose}>
            {t('common.cancel')}
          </button>
          <button type="submit" form="rename-form" className="btn btn-primary" disabled={!name.trim()} data-testid="rename-save">
            {t('common.save')}
          </button>
        </>
      }
    >
      <form id="rename-form" onSubmit={submit}>
        <Field label={t('fields.name')}>
          <input type="text" maxLength={80} value={name} onChange={(e) => setName(e.target.value)} data-testid="rename-input" autoFocus />
        </Field>
      </form>
    </Dialog>
  );
}

function RoomInner({
  session,
  join,
  passcode,
  media,
  onFinal,
}: {
  session: MeetSession;
  join: JoinResult;
  passcode: string;
  media: LocalMedia;
  onFinal: (phase: Phase, code: string | null) => void;
}) {
  const { t } = useTranslation();
  const toast = useToast();
  const s = useStore(session.store);
  const m = useStore(media.store);
  const viewport = useViewport();
  const narrow = viewport.width < 600;
  const [view, setView] = useState<ViewMode>('gallery');
  const [panel, setPanel] = useState<'chat' | 'people' | null>(null);
  const [page, setPage] = useState(0);
  const [renaming, setRenaming] = useState<Person | null>(null);
  const [removing, setRemoving] = useState<Person | null>(null);
  const [ending, setEnding] = useState(false);
  const [infoOpen, setInfoOpen] = useState(false);
  const [weakDismissed, setWeakDismissed] = useState(false);
  const [stageRef, stage] = useElementSize<HTMLDivElement>();
  // The gallery's own box: what is left of the stage under the banners and above the pager.
  const [galleryRef, galleryArea] = useElementSize<HTMLDivElement>();
  const orgId = join.meeting.org_id;
  const meetingId = join.meeting.id;
  const title = meetingTitle({ title: s.meeting?.title ?? join.meeting.title, host_name: join.meeting.host_name }, t);

  // Closing screens.
  useEffect(() => {
    if (FINAL_PHASES.includes(s.phase)) onFinal(s.phase, s.failCode);
  }, [s.phase, s.failCode, onFinal]);

  // Notices from the session become toasts.
  useEffect(() => {
    session.onNotice = (n: Notice) => {
      if (n.kind === 'muted_by_host') toast(t('meet.mutedByHost', { name: n.by || t('meet.roles.host') }), 'error');
      else if (n.kind === 'video_stopped_by_host') toast(t('meet.videoStoppedByHost', { name: n.by || t('meet.roles.host') }), 'error');
      else if (n.kind === 'reconnected') toast(t('meet.reconnected'));
      else if (n.kind === 'error') toast(t(`errors.${n.code}`, { defaultValue: t('errors.withCode', { code: n.code }) }), 'error');
    };
    return () => {
      session.onNotice = () => {};
    };
  }, [session, toast, t]);

  useEffect(() => {
    document.title = `${title} · Kantor`;
  }, [title]);

  // View sizes: collect tile reports, send `view` shortly after they settle.
  const tiles = useRef(new Map<string, Size>());
  const viewTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const report = useCallback(
    (key: string, size: Size | null) => {
      const prev = tiles.current.get(key);
      if (size && prev && Math.abs(prev.width - size.width) < 2 && Math.abs(prev.height - size.height) < 2) return;
      if (size) tiles.current.set(key, size);
      else if (!tiles.current.delete(key)) return;
      if (viewTimer.current) clearTimeout(viewTimer.current);
      viewTimer.current = setTimeout(() => session.setViewTiles(new Map(tiles.current)), 150);
    },
    [session],
  );
  useEffect(() => () => {
    if (viewTimer.current) clearTimeout(viewTimer.current);
  }, []);
  // A fresh welcome (reconnect) needs the view again.
  useEffect(() => {
    if (s.phase === 'live') session.setViewTiles(new Map(tiles.current));
  }, [s.phase, session]);

  // Tell hosts about newcomers in the waiting room.
  const canHost = s.you?.role === 'host' || s.you?.role === 'cohost';
  const knownWaiting = useRef(new Set<string>());
  useEffect(() => {
    if (!canHost) return;
    for (const w of s.waiting) {
      if (!knownWaiting.current.has(w.id)) {
        knownWaiting.current.add(w.id);
        toast(t('meet.waitingNotice', { name: w.name }));
      }
    }
  }, [s.waiting, canHost, toast, t]);

  // Chat read marks while the chat panel is open.
  useEffect(() => {
    if (panel === 'chat') session.markChatSeen();
  }, [panel, s.chat.length, session]);

  const localCam = useTrackStream(m.cam);
  const me: Person | null = s.you
    ? {
        id: s.you.id,
        name: s.you.name,
        role: s.you.role,
        guest: s.you.guest,
        mic: s.mic,
        cam: s.cam,
        screen: s.screen,
        hand: s.hand,
        quality: s.quality,
        me: true,
        tracks: [],
      }
    : null;
  const people: Person[] = useMemo(() => {
    const others = s.peers.map((p) => ({ ...p, me: false }));
    return orderPeople(me ? [me, ...others] : others, me?.id ?? null, s.recent);
  }, [s.peers, s.recent, me?.id, me?.name, me?.role, me?.mic, me?.cam, me?.screen, me?.hand, me?.quality]);

  const act = useCallback(
    (p: { id: string; name: string }, action: ParticipantAction, body?: { name: string }) => {
      participantAction(orgId, meetingId, p.id, action, body).then(
        () => {
          if (action === 'admit' || action === 'deny') return;
          toast(t('meet.done'));
        },
        (e: unknown) => toast(errorMessage(t, e), 'error'),
      );
    },
    [orgId, meetingId, toast, t],
  );
  const host: HostApi = {
    canHost,
    isHost: s.you?.role === 'host',
    spotlight: s.meeting?.spotlight ?? null,
    act,
    rename: setRenaming,
    remove: setRemoving,
  };

  if (s.phase === 'waiting') {
    return <WaitingScreen media={media} name={s.you?.name ?? join.participant.name} title={title} onLeave={() => session.leave()} />;
  }

  const spotlight = s.meeting?.spotlight ?? null;
  const sharer = s.peers.find((p) => p.screen);
  const layout: LayoutProps = {
    people,
    remote: s.remote,
    localCam,
    speaker: s.speaker,
    spotlight,
    audioOnly: s.audioOnly,
    reactions: s.reactions,
    menuFor: (p) => <ParticipantMenu person={p} host={host} testId="tile-menu" />,
  };
  const stripMax = Math.max(1, Math.min(12, Math.floor((stage.width || viewport.width) / (narrow ? 112 : 196))));
  const spotlightPresent = !!spotlight && people.some((p) => p.id === spotlight);
  let mode: 'gallery' | 'speaker' | 'share' | 'spotlight' = view;
  if (sharer && !s.audioOnly) mode = 'share';
  else if (spotlightPresent) mode = 'spotlight';

  let stageContent: React.ReactNode = null;
  let pager: { page: number; pages: number } | null = null;
  if (mode === 'share' && sharer) {
    const strip = people.slice(0, stripMax);
    stageContent = (
      <div className="layout-share" data-testid="layout-share">
        <div className="share-main">
          <ScreenTile person={{ ...sharer, me: false }} remote={s.remote} />
        </div>
        <Filmstrip layout={layout} people={strip} />
      </div>
    );
  } else if (mode === 'speaker' || mode === 'spotlight') {
    const mainId = mainSpeaker(people.map((p) => p.id), me?.id ?? null, spotlight, s.speaker, s.recent);
    const main = people.find((p) => p.id === mainId) ?? people[0];
    const rest = people.filter((p) => p !== main).slice(0, stripMax);
    stageContent = main ? (
      <div className="layout-speaker" data-testid={mode === 'spotlight' ? 'layout-spotlight' : 'layout-speaker'}>
        <SpeakerStage layout={layout} main={main} />
        <Filmstrip layout={layout} people={rest} />
      </div>
    ) : null;
  } else {
    const per = pageSize(viewport);
    const pg = paginate(people, per, page);
    pager = pg.pages > 1 ? { page: pg.page, pages: pg.pages } : null;
    stageContent = (
      <div className="layout-gallery" ref={galleryRef} data-testid="layout-gallery">
        {galleryArea.width > 0 && galleryArea.height > 0 ? <GalleryGrid layout={{ ...layout, people: pg.items }} area={galleryArea} /> : null}
      </div>
    );
  }

  const remoteAudio = Object.values(s.remote).filter((r) => r.source === 'mic');
  const chatUnread = Math.max(0, s.chat.length - s.chatSeen);
  const code = s.meeting?.passcode || passcode;
  const link = joinLink(window.location.origin, join.meeting.number, code);
  const invite = t('meet.inviteText', { title, link, number: formatMeetingNumber(join.meeting.number), passcode: code });
  const togglePanel = (p: 'chat' | 'people') => setPanel((x) => (x === p ? null : p));
  const names = (id: string) => people.find((p) => p.id === id)?.name ?? '';

  return (
    <ViewReportContext.Provider value={report}>
      <div className={`meet-room${panel ? ' with-panel' : ''}`} data-testid="meet-room" data-phase={s.phase} data-layout={mode}>
        <header className="meet-top">
          <div className="meet-top-title">
            <strong className="truncate" data-testid="meet-title">
              {title}
            </strong>
            {s.meeting?.locked ? (
              <span className="meet-pill" data-testid="meet-locked">
                <Icon name="lock" size={14} /> {t('meet.locked')}
              </span>
            ) : null}
          </div>
          <div className="meet-top-end">
            {s.dataSaver || s.audioOnly ? (
              <span className="meet-pill" data-testid="mode-pill">
                {s.audioOnly ? t('meet.audioOnly') : t('meet.dataSaver')}
              </span>
            ) : null}
            {canHost && s.waiting.length ? (
              <button type="button" className="meet-pill meet-pill-warn" onClick={() => setPanel('people')} data-testid="waiting-pill">
                {t('meet.someoneWaiting', { count: s.waiting.length })} · {t('meet.review')}
              </button>
            ) : null}
            <QualityBars q={s.quality} />
            <span className="popover-anchor">
              <button type="button" className="btn btn-ghost btn-icon meet-top-btn" onClick={() => setInfoOpen((o) => !o)} aria-expanded={infoOpen} aria-label={t('meet.info')} title={t('meet.info')} data-testid="meet-info">
                <Icon name="info" />
              </button>
              <Popover open={infoOpen} onClose={() => setInfoOpen(false)} className="popover-right meet-info" testId="meet-info-popover" label={t('meet.info')}>
                <h2 className="meet-info-title">{title}</h2>
                <dl className="meet-info-list">
                  <dt>{t('meet.meetingId')}</dt>
                  <dd className="mono" data-testid="meet-info-number">
                    {formatMeetingNumber(join.meeting.number)}
                  </dd>
                  <dt>{t('meet.passcode')}</dt>
                  <dd className="mono" data-testid="meet-info-passcode">
                    {code}
                  </dd>
                  <dt>{t('meet.roles.host')}</dt>
                  <dd>{join.meeting.host_name}</dd>
                  <dt>{t('meet.joinLink')}</dt>
                  <dd className="break small" data-testid="meet-info-link">
                    {link}
                  </dd>
                </dl>
                <div className="button-row">
                  <CopyButton text={link} label={t('meet.copyLink')} className="btn btn-primary btn-sm" testId="meet-copy-link" />
                  <CopyButton text={invite} label={t('meet.copyInvite')} className="btn btn-secondary btn-sm" testId="meet-copy-invite" />
                </div>
              </Popover>
            </span>
          </div>
        </header>

        <div className="meet-body">
          <main className="meet-stage" ref={stageRef} data-testid="meet-stage">
            {s.phase === 'reconnecting' ? (
              <div className="meet-banner" role="status" data-testid="meet-reconnecting">
                <span className="spinner spinner-sm" aria-hidden="true" /> {t('meet.reconnecting')}
              </div>
            ) : s.phase === 'connecting' ? (
              <div className="meet-banner" role="status">
                <span className="spinner spinner-sm" aria-hidden="true" /> {t('meet.connectingMedia')}
              </div>
            ) : s.media === 'failed' || s.media === 'disconnected' ? (
              <div className="meet-banner" role="status">
                <span className="spinner spinner-sm" aria-hidden="true" /> {t('meet.mediaFailed')}
              </div>
            ) : null}
            {s.screen ? (
              <div className="meet-banner meet-banner-share" data-testid="sharing-banner">
                <Icon name="screen" size={16} /> {t('meet.youAreSharing')}
                <button type="button" className="btn btn-danger btn-sm" onClick={() => void session.toggleScreen()} data-testid="stop-share">
                  {t('meet.stopShare')}
                </button>
              </div>
            ) : null}
            {s.audioOnly ? (
              <div className="meet-banner" data-testid="audio-only-banner">
                {t('meet.audioOnlyNotice')}
              </div>
            ) : null}
            {s.weak && !s.dataSaver && !s.audioOnly && !weakDismissed ? (
              <div className="meet-banner meet-banner-warn" role="status" data-testid="weak-network">
                <span>{t('meet.weakNetwork')}</span>
                <button type="button" className="btn btn-secondary btn-sm" onClick={() => session.setModes({ dataSaver: true })} data-testid="weak-network-data-saver">
                  {t('meet.useDataSaver')}
                </button>
                <button type="button" className="btn btn-ghost btn-icon btn-sm" onClick={() => setWeakDismissed(true)} aria-label={t('meet.dismiss')}>
                  <Icon name="close" size={16} />
                </button>
              </div>
            ) : null}
            {stageContent}
            {s.phase === 'live' && s.peers.length === 0 ? (
              <div className="alone-card" data-testid="alone-card">
                <strong>{t('meet.aloneTitle')}</strong>
                <span className="muted small">{t('meet.aloneBody')}</span>
                <CopyButton text={link} label={t('meet.copyLink')} className="btn btn-primary btn-sm" testId="alone-copy-link" />
              </div>
            ) : null}
            {pager ? (
              <nav className="pager" aria-label={t('meet.pageOf', { page: pager.page + 1, pages: pager.pages })} data-testid="gallery-pager">
                <button type="button" className="btn btn-ghost btn-icon" onClick={() => setPage(pager.page - 1)} disabled={pager.page === 0} aria-label={t('meet.prevPage')} data-testid="page-prev">
                  <Icon name="chevronLeft" />
                </button>
                <span className="small">{t('meet.pageOf', { page: pager.page + 1, pages: pager.pages })}</span>
                <button type="button" className="btn btn-ghost btn-icon" onClick={() => setPage(pager.page + 1)} disabled={pager.page >= pager.pages - 1} aria-label={t('meet.nextPage')} data-testid="page-next">
                  <Icon name="chevronRight" />
                </button>
              </nav>
            ) : null}
            <div className="reaction-stream" aria-live="polite">
              {s.reactions.slice(-6).map((r) => (
                <span key={r.key} className="reaction-float" data-testid="reaction-float" data-emoji={r.emoji}>
                  <span className="reaction-emoji">{r.emoji}</span>
                  <span className="reaction-name">{r.id === me?.id ? t('common.you') : names(r.id)}</span>
                </span>
              ))}
            </div>
          </main>
          {panel === 'chat' ? (
            <ChatPanel
              lines={s.chat}
              meId={me?.id ?? null}
              chatHref={s.conversationId ? `/o/${encodeURIComponent(orgId)}/chat/${encodeURIComponent(s.conversationId)}` : null}
              onSend={(text) => session.sendChat(text)}
              onClose={() => setPanel(null)}
            />
          ) : panel === 'people' ? (
            <ParticipantsPanel
              people={people}
              waiting={s.waiting}
              host={host}
              locked={!!s.meeting?.locked}
              onAdmit={(w: Participant) => act(w, 'admit')}
              onDeny={(w: Participant) => act(w, 'deny')}
              onAdmitAll={() => s.waiting.forEach((w) => act(w, 'admit'))}
              onMuteAll={() =>
                muteAll(orgId, meetingId).then(
                  () => toast(t('meet.mutedAll')),
                  (e: unknown) => toast(errorMessage(t, e), 'error'),
                )
              }
              onLock={(locked) =>
                patchMeeting(orgId, meetingId, { locked }).then(
                  () => toast(locked ? t('meet.lockedDone') : t('meet.unlockedDone')),
                  (e: unknown) => toast(errorMessage(t, e), 'error'),
                )
              }
              onClose={() => setPanel(null)}
            />
          ) : null}
        </div>

        <Controls
          media={m}
          mic={s.mic}
          cam={s.cam}
          screen={s.screen}
          hand={s.hand}
          dataSaver={s.dataSaver}
          audioOnly={s.audioOnly}
          view={view}
          panel={panel}
          chatUnread={chatUnread}
          waitingCount={canHost ? s.waiting.length : 0}
          isHost={s.you?.role === 'host'}
          onMic={() => void session.setMic(!s.mic)}
          onCam={() => void session.setCam(!s.cam)}
          onSelectMic={(id) => void media.selectMic(id)}
          onSelectCam={(id) => void media.selectCam(id)}
          onShare={() => void session.toggleScreen()}
          onHand={() => session.setHand(!s.hand)}
          onReact={(e) => session.react(e)}
          onPanel={togglePanel}
          onDataSaver={(on) => session.setModes({ dataSaver: on })}
          onAudioOnly={(on) => session.setModes({ audioOnly: on })}
          onView={(v) => {
            setView(v);
            setPage(0);
          }}
          onLeave={() => session.leave()}
          onEnd={() => setEnding(true)}
        />

        {remoteAudio.map((r) => (
          <RemoteAudio key={r.key} track={r} />
        ))}

        <Dialog
          open={!!s.askUnmute}
          onClose={() => session.dismissAskUnmute()}
          title={t('meet.askUnmuteTitle')}
          testId="ask-unmute-dialog"
          footer={
            <>
              <button type="button" className="btn btn-secondary" onClick={() => session.dismissAskUnmute()} data-testid="ask-unmute-no">
                {t('meet.askUnmuteNo')}
              </button>
              <button type="button" className="btn btn-primary" onClick={() => void session.setMic(true)} data-testid="ask-unmute-yes">
                {t('meet.askUnmuteYes')}
              </button>
            </>
          }
        >
          <p>{t('meet.askUnmuteBody', { name: s.askUnmute ?? '' })}</p>
        </Dialog>
        <RenameDialog
          person={renaming}
          onClose={() => setRenaming(null)}
          onSave={(name) => {
            if (renaming) act(renaming, 'rename', { name });
            setRenaming(null);
          }}
        />
        {removing ? (
          <ConfirmDialog
            open={!!removing}
            message={t('meet.removeConfirm', { name: removing?.name ?? '' })}
            confirmLabel={t('meet.remove')}
            danger
            onConfirm={() => {
              if (removing) act(removing, 'remove');
              setRemoving(null);
            }}
            onCancel={() => setRemoving(null)}
          />
        ) : null}
        {ending ? (
          <ConfirmDialog
            open={ending}
            message={t('meet.endConfirm')}
            confirmLabel={t('meet.endForAll')}
            danger
            onConfirm={() => {
              setEnding(false);
              endMeeting(orgId, meetingId).catch((e: unknown) => toast(errorMessage(t, e), 'error'));
            }}
            onCancel={() => setEnding(false)}
          />
        ) : null}
      </div>
    </ViewReportContext.Provider>
  );
}
