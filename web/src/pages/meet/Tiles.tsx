// The meeting's video tiles and layouts: gallery (pages of a grid), speaker (one big tile and a
// filmstrip) and screen share (the share big, people in a strip). Every tile that shows a remote
// video reports its size, so the server forwards the right simulcast layer (`view`).

import { createContext, useContext, useEffect, useMemo, useRef, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { Peer, TrackSource } from '../../api/meetEndpoints';
import { Icon } from '../../components/Icon';
import { bestGrid, initials, type Size } from '../../lib/meet/layout';

export { initials };
import { useSrcObject } from './hooks';
import type { FloatingReaction, RemoteTrack } from './session';

/** Tiles report the CSS size of the remote videos they show (null when gone). */
export const ViewReportContext = createContext<(trackKey: string, size: Size | null) => void>(() => {});

/** Someone on a tile: a remote peer or me. */
export interface Person {
  id: string;
  name: string;
  role: Peer['role'];
  guest: boolean;
  mic: boolean;
  cam: boolean;
  screen: boolean;
  hand: boolean;
  quality: number | null;
  me: boolean;
  tracks: Peer['tracks'];
}

export function trackKeyOf(p: Pick<Person, 'id' | 'tracks'>, source: TrackSource): string {
  return p.tracks.find((t) => t.source === source)?.id ?? `${p.id}:${source}`;
}

function hue(name: string): number {
  let h = 0;
  for (let i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) % 360;
  return h;
}

export function QualityBars({ q }: { q: number | null }) {
  const { t } = useTranslation();
  const label = q === null ? t('meet.quality.unknown') : t(`meet.quality.q${q}`);
  return (
    <span className={`qbars q${q ?? 'x'}`} role="img" aria-label={label} title={label} data-testid="tile-quality" data-quality={q ?? ''}>
      <span />
      <span />
      <span />
    </span>
  );
}

function Video({ stream, mirror, fit = 'cover' }: { stream: MediaStream; mirror?: boolean; fit?: 'cover' | 'contain' }) {
  const ref = useSrcObject<HTMLVideoElement>(stream);
  return <video ref={ref} className={`tile-video${mirror ? ' mirror' : ''}${fit === 'contain' ? ' contain' : ''}`} autoPlay playsInline muted />;
}

/** Reports the element's size for `trackKey` while mounted. */
function useReportSize(trackKey: string | null) {
  const report = useContext(ViewReportContext);
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!trackKey || !el) return;
    const send = () => {
      const r = el.getBoundingClientRect();
      report(trackKey, { width: r.width, height: r.height });
    };
    send();
    const ro = typeof ResizeObserver !== 'undefined' ? new ResizeObserver(send) : null;
    ro?.observe(el);
    return () => {
      ro?.disconnect();
      report(trackKey, null);
    };
  }, [trackKey, report]);
  return ref;
}

export interface TileProps {
  person: Person;
  remote: Record<string, RemoteTrack>;
  localCam: MediaStream | null;
  speaking: boolean;
  spotlight: boolean;
  audioOnly: boolean;
  reactions: FloatingReaction[];
  menu?: ReactNode;
  size?: { width: number; height: number };
  small?: boolean;
}

export function Tile({ person, remote, localCam, speaking, spotlight, audioOnly, reactions, menu, size, small }: TileProps) {
  const { t } = useTranslation();
  const camKey = trackKeyOf(person, 'cam');
  const wantsVideo = person.cam && !audioOnly;
  const stream = person.me ? (person.cam ? localCam : null) : wantsVideo ? (remote[camKey]?.stream ?? null) : null;
  const ref = useReportSize(!person.me && wantsVideo ? camKey : null);
  const reaction = reactions.filter((r) => r.id === person.id).at(-1);
  const name = person.me ? t('meet.youName', { name: person.name }) : person.name;
  return (
    <div
      ref={ref}
      className={`tile${speaking ? ' speaking' : ''}${small ? ' small' : ''}${stream ? ' has-video' : ''}`}
      style={size ? { width: size.width, height: size.height } : undefined}
      data-testid="tile"
      data-peer-id={person.id}
      data-name={person.name}
      data-me={person.me ? 'true' : undefined}
      data-mic={person.mic ? 'on' : 'off'}
      data-cam={person.cam ? 'on' : 'off'}
    >
      {stream ? (
        <Video stream={stream} mirror={person.me} />
      ) : (
        <div className="tile-novideo">
          <span className="tile-avatar" style={{ background: `hsl(${hue(person.name)} 45% 40%)` }} aria-hidden="true">
            {initials(person.name)}
          </span>
        </div>
      )}
      {reaction ? (
        <span key={reaction.key} className="tile-reaction" aria-hidden="true">
          {reaction.emoji}
        </span>
      ) : null}
      <div className="tile-top">
        {person.hand ? (
          <span className="tile-hand" title={t('meet.handRaised')} data-testid="tile-hand">
            ✋
          </span>
        ) : null}
        {spotlight ? (
          <span className="tile-badge" data-testid="tile-spotlight">
            {t('meet.spotlighted')}
          </span>
        ) : null}
        <span className="grow" />
        {menu}
      </div>
      <div className="tile-label">
        {!person.mic ? (
          <span className="tile-muted" role="img" aria-label={t('meet.micOff')} title={t('meet.micOff')} data-testid="tile-muted">
            <Icon name="micOff" size={14} />
          </span>
        ) : null}
        <span className="tile-name truncate" data-testid="tile-name">
          {name}
        </span>
        <QualityBars q={person.quality} />
      </div>
    </div>
  );
}

export function ScreenTile({ person, remote }: { person: Person; remote: Record<string, RemoteTrack> }) {
  const { t } = useTranslation();
  const key = trackKeyOf(person, 'screen');
  const stream = remote[key]?.stream ?? null;
  const ref = useReportSize(key);
  return (
    <div ref={ref} className="tile tile-screen" data-testid="screen-tile" data-peer-id={person.id}>
      {stream ? <Video stream={stream} fit="contain" /> : <div className="tile-novideo"><span className="spinner" aria-hidden="true" /></div>}
      <div className="tile-label">
        <Icon name="screen" size={14} />
        <span className="tile-name truncate">{t('meet.screenOf', { name: person.name })}</span>
      </div>
    </div>
  );
}

export interface LayoutProps {
  people: Person[];
  remote: Record<string, RemoteTrack>;
  localCam: MediaStream | null;
  speaker: string | null;
  spotlight: string | null;
  audioOnly: boolean;
  reactions: FloatingReaction[];
  menuFor: (p: Person) => ReactNode;
}

function tileProps(p: Person, l: LayoutProps) {
  return {
    person: p,
    remote: l.remote,
    localCam: l.localCam,
    speaking: l.speaker === p.id && p.mic,
    spotlight: l.spotlight === p.id,
    audioOnly: l.audioOnly,
    reactions: l.reactions,
    menu: l.menuFor(p),
  };
}

export function GalleryGrid({ layout, area }: { layout: LayoutProps; area: Size }) {
  const gap = area.width < 600 ? 6 : 10;
  const grid = useMemo(() => bestGrid(layout.people.length, area, gap), [layout.people.length, area, gap]);
  return (
    <div
      className="gallery"
      data-testid="gallery"
      data-cols={grid.cols}
      style={{ width: grid.width, height: grid.height, gap }}
    >
      {layout.people.map((p) => (
        <Tile key={p.id} {...tileProps(p, layout)} size={{ width: grid.tileWidth, height: grid.tileHeight }} />
      ))}
    </div>
  );
}

export function Filmstrip({ layout, people }: { layout: LayoutProps; people: Person[] }) {
  if (!people.length) return null;
  return (
    <div className="filmstrip" data-testid="filmstrip">
      {people.map((p) => (
        <Tile key={p.id} {...tileProps(p, layout)} small />
      ))}
    </div>
  );
}

export function SpeakerStage({ layout, main }: { layout: LayoutProps; main: Person }) {
  return (
    <div className="speaker-main" data-testid="speaker-main">
      <Tile {...tileProps(main, layout)} />
    </div>
  );
}
