// The room's control bar: mic and camera (with device pickers), screen share, reactions, raise
// hand, chat, participants, more (data saver, audio only, layout) and leave. On phones share,
// reactions and hand move into "More".

import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { REACTIONS } from '../../api/meetEndpoints';
import { Icon, type IconName } from '../../components/Icon';
import { MenuButton, Popover } from '../chat/Popover';
import { canShareScreen, type MediaState } from './media';

export type ViewMode = 'gallery' | 'speaker';

function Ctl({
  icon,
  label,
  onClick,
  off,
  active,
  badge,
  testId,
  className = '',
  disabled,
  expanded,
}: {
  icon: IconName;
  label: string;
  onClick: () => void;
  off?: boolean;
  active?: boolean;
  badge?: number;
  testId: string;
  className?: string;
  disabled?: boolean;
  expanded?: boolean;
}) {
  return (
    <button
      type="button"
      className={`ctl${off ? ' off' : ''}${active ? ' active' : ''} ${className}`}
      onClick={onClick}
      aria-label={label}
      title={label}
      aria-pressed={active || off ? true : undefined}
      aria-expanded={expanded}
      disabled={disabled}
      data-testid={testId}
    >
      <Icon name={icon} size={22} />
      <span className="ctl-label">{label}</span>
      {badge ? (
        <span className="ctl-badge" data-testid={`${testId}-badge`}>
          {badge > 99 ? '99+' : badge}
        </span>
      ) : null}
    </button>
  );
}

function DevicePicker({ kind, media, onSelect }: { kind: 'mic' | 'cam'; media: MediaState; onSelect: (id: string) => void }) {
  const { t } = useTranslation();
  const [open, setOpen] = useState(false);
  const devices = kind === 'mic' ? media.mics : media.cams;
  const current = kind === 'mic' ? media.micId : media.camId;
  if (devices.length < 1) return null;
  const label = kind === 'mic' ? t('meet.microphone') : t('meet.camera');
  return (
    <span className="popover-anchor ctl-caret-anchor">
      <button type="button" className="ctl-caret" onClick={() => setOpen((o) => !o)} aria-label={`${t('meet.devices')}: ${label}`} aria-expanded={open} data-testid={`${kind}-devices`}>
        <Icon name="chevronUp" size={14} />
      </button>
      <Popover open={open} onClose={() => setOpen(false)} className="menu popover-up meet-menu" testId={`${kind}-device-menu`} label={label}>
        <div className="menu-header">{label}</div>
        {devices.map((d, i) => (
          <MenuButton
            key={d.deviceId}
            onClick={() => {
              setOpen(false);
              onSelect(d.deviceId);
            }}
            testId="device-option"
          >
            <span className="menu-check">{d.deviceId === current ? <Icon name="check" size={16} /> : null}</span>
            <span className="truncate">{d.label || t('meet.deviceN', { kind: label, n: i + 1 })}</span>
          </MenuButton>
        ))}
      </Popover>
    </span>
  );
}

export interface ControlsProps {
  media: MediaState;
  mic: boolean;
  cam: boolean;
  screen: boolean;
  hand: boolean;
  dataSaver: boolean;
  audioOnly: boolean;
  view: ViewMode;
  panel: 'chat' | 'people' | null;
  chatUnread: number;
  waitingCount: number;
  isHost: boolean;
  onMic: () => void;
  onCam: () => void;
  onSelectMic: (id: string) => void;
  onSelectCam: (id: string) => void;
  onShare: () => void;
  onHand: () => void;
  onReact: (emoji: string) => void;
  onPanel: (p: 'chat' | 'people') => void;
  onDataSaver: (on: boolean) => void;
  onAudioOnly: (on: boolean) => void;
  onView: (v: ViewMode) => void;
  onLeave: () => void;
  onEnd: () => void;
}

export function Controls(p: ControlsProps) {
  const { t } = useTranslation();
  const [menu, setMenu] = useState<'react' | 'more' | 'leave' | null>(null);
  const toggle = (m: 'react' | 'more' | 'leave') => setMenu((x) => (x === m ? null : m));
  const close = () => setMenu(null);
  const pick = (fn: () => void) => () => {
    close();
    fn();
  };
  const share = canShareScreen();
  const reactionButtons = (
    <div className="reaction-row" role="group" aria-label={t('meet.reactions')}>
      {REACTIONS.map((e) => (
        <button
          key={e}
          type="button"
          className="reaction-btn"
          onClick={() => {
            close();
            p.onReact(e);
          }}
          data-testid="reaction-option"
          data-emoji={e}
        >
          {e}
        </button>
      ))}
    </div>
  );
  return (
    <footer className="meet-controls" data-testid="meet-controls">
      <div className="ctl-group">
        <span className="ctl-split">
          <Ctl icon={p.mic ? 'mic' : 'micOff'} label={p.mic ? t('meet.mute') : t('meet.unmute')} off={!p.mic} onClick={p.onMic} testId="ctl-mic" disabled={p.media.micProblem === 'unsupported'} />
          <DevicePicker kind="mic" media={p.media} onSelect={p.onSelectMic} />
        </span>
        <span className="ctl-split">
          <Ctl icon={p.cam ? 'video' : 'videoOff'} label={p.cam ? t('meet.stopVideo') : t('meet.startVideo')} off={!p.cam} onClick={p.onCam} testId="ctl-cam" disabled={p.media.camProblem === 'unsupported'} />
          <DevicePicker kind="cam" media={p.media} onSelect={p.onSelectCam} />
        </span>
        {share ? (
          <Ctl icon="screen" label={p.screen ? t('meet.stopShare') : t('meet.share')} active={p.screen} onClick={p.onShare} testId="ctl-share" className="wide-only" />
        ) : null}
        <span className="popover-anchor wide-only">
          <Ctl icon="smile" label={t('meet.reactions')} onClick={() => toggle('react')} testId="ctl-react" expanded={menu === 'react'} />
          <Popover open={menu === 'react'} onClose={close} className="popover-up meet-menu reaction-menu" testId="reaction-menu" label={t('meet.reactions')}>
            {reactionButtons}
          </Popover>
        </span>
        <Ctl icon="hand" label={p.hand ? t('meet.lowerHand') : t('meet.raiseHand')} active={p.hand} onClick={p.onHand} testId="ctl-hand" className="wide-only" />
        <Ctl icon="chat" label={t('meet.chat')} active={p.panel === 'chat'} badge={p.panel === 'chat' ? 0 : p.chatUnread} onClick={() => p.onPanel('chat')} testId="ctl-chat" />
        <Ctl icon="users" label={t('meet.participants')} active={p.panel === 'people'} badge={p.waitingCount} onClick={() => p.onPanel('people')} testId="ctl-people" />
        <span className="popover-anchor">
          <Ctl icon="more" label={t('meet.more')} onClick={() => toggle('more')} testId="ctl-more" expanded={menu === 'more'} active={p.dataSaver || p.audioOnly} />
          <Popover open={menu === 'more'} onClose={close} className="menu popover-up popover-right meet-menu more-menu" testId="more-menu" label={t('meet.more')}>
            <div className="narrow-only">
              {reactionButtons}
              {share ? (
                <MenuButton onClick={pick(() => p.onShare())} testId="more-share">
                  <Icon name="screen" size={18} /> {p.screen ? t('meet.stopShare') : t('meet.share')}
                </MenuButton>
              ) : null}
              <MenuButton onClick={pick(() => p.onHand())} testId="more-hand">
                <Icon name="hand" size={18} /> {p.hand ? t('meet.lowerHand') : t('meet.raiseHand')}
              </MenuButton>
              <div className="more-devices">
                {p.media.mics.length > 1 ? (
                  <label>
                    <span className="muted small">{t('meet.microphone')}</span>
                    <select value={p.media.micId} onChange={(e) => p.onSelectMic(e.target.value)} data-testid="more-mic-select">
                      {p.media.mics.map((d, i) => (
                        <option key={d.deviceId} value={d.deviceId}>
                          {d.label || t('meet.deviceN', { kind: t('meet.microphone'), n: i + 1 })}
                        </option>
                      ))}
                    </select>
                  </label>
                ) : null}
                {p.media.cams.length > 1 ? (
                  <label>
                    <span className="muted small">{t('meet.camera')}</span>
                    <select value={p.media.camId} onChange={(e) => p.onSelectCam(e.target.value)} data-testid="more-cam-select">
                      {p.media.cams.map((d, i) => (
                        <option key={d.deviceId} value={d.deviceId}>
                          {d.label || t('meet.deviceN', { kind: t('meet.camera'), n: i + 1 })}
                        </option>
                      ))}
                    </select>
                  </label>
                ) : null}
              </div>
            </div>
            <button type="button" role="menuitemcheckbox" aria-checked={p.dataSaver} className="menu-item menu-toggle" onClick={() => p.onDataSaver(!p.dataSaver)} data-testid="mode-data-saver">
              <span className="grow">
                <span className="block">{t('meet.dataSaver')}</span>
                <span className="block muted small">{t('meet.dataSaverHint')}</span>
              </span>
              <span className={`switch${p.dataSaver ? ' on' : ''}`} aria-hidden="true" />
            </button>
            <button type="button" role="menuitemcheckbox" aria-checked={p.audioOnly} className="menu-item menu-toggle" onClick={() => p.onAudioOnly(!p.audioOnly)} data-testid="mode-audio-only">
              <span className="grow">
                <span className="block">{t('meet.audioOnly')}</span>
                <span className="block muted small">{t('meet.audioOnlyHint')}</span>
              </span>
              <span className={`switch${p.audioOnly ? ' on' : ''}`} aria-hidden="true" />
            </button>
            <div className="menu-header">{t('meet.layout')}</div>
            <MenuButton onClick={pick(() => p.onView('gallery'))} testId="view-gallery">
              <span className="menu-check">{p.view === 'gallery' ? <Icon name="check" size={16} /> : null}</span>
              <Icon name="grid" size={18} /> {t('meet.viewGallery')}
            </MenuButton>
            <MenuButton onClick={pick(() => p.onView('speaker'))} testId="view-speaker">
              <span className="menu-check">{p.view === 'speaker' ? <Icon name="check" size={16} /> : null}</span>
              <Icon name="speakerView" size={18} /> {t('meet.viewSpeaker')}
            </MenuButton>
          </Popover>
        </span>
      </div>
      <span className="popover-anchor">
        <button
          type="button"
          className="ctl ctl-leave"
          onClick={() => (p.isHost ? toggle('leave') : p.onLeave())}
          aria-label={t('meet.leave')}
          title={t('meet.leave')}
          aria-expanded={p.isHost ? menu === 'leave' : undefined}
          data-testid="ctl-leave"
        >
          <Icon name="phoneOff" size={22} />
          <span className="ctl-label">{t('meet.leave')}</span>
        </button>
        {p.isHost ? (
          <Popover open={menu === 'leave'} onClose={close} className="menu popover-up popover-right meet-menu" testId="leave-menu" label={t('meet.leave')}>
            <MenuButton onClick={pick(() => p.onLeave())} testId="leave-only">
              <Icon name="logout" size={18} /> {t('meet.leaveMeeting')}
            </MenuButton>
            <MenuButton onClick={pick(() => p.onEnd())} testId="end-for-all" danger>
              <Icon name="phoneOff" size={18} /> {t('meet.endForAll')}
            </MenuButton>
          </Popover>
        ) : null}
      </span>
    </footer>
  );
}
