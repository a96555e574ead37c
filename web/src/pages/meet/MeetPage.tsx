// `/meet/:number?pwd=…` — a meeting, full screen and public: members join with their account,
// anyone else as a guest with a name. Pre-join (camera preview, devices, mic level) → join
// (POST /meet/join) → waiting room or the room → a closing screen (ended, removed, …).

import { useEffect, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams, useSearchParams } from 'react-router';
import { useMutation } from '@tanstack/react-query';
import { isApiError } from '../../api/client';
import { joinMeeting, type JoinResult } from '../../api/meetEndpoints';
import { useMe } from '../../api/queries';
import type { Me } from '../../api/types';
import { Field } from '../../components/Field';
import { FormError } from '../../components/FormError';
import { Icon } from '../../components/Icon';
import { FullPageLoading } from '../../shell/RequireAuth';
import { LanguageToggle } from '../../shell/LanguageToggle';
import { formatMeetingNumber, parseMeetingNumber } from '../../lib/meet/number';
import { LocalMedia, type DeviceProblem } from './media';
import { Room } from './Room';
import type { Phase } from './session';
import { useStore } from './store';
import { useLevelMeter, useSrcObject, useTrackStream } from './hooks';
import './meet.css';

const NAME_KEY = 'kantor.meet.name';

function randomKey(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** The random device key a browser keeps per meeting, so a guest who rejoins is the same row. */
export function deviceKey(number: string): string {
  const key = `kantor.meet.device.${number}`;
  try {
    let v = localStorage.getItem(key);
    if (!v) {
      v = randomKey();
      localStorage.setItem(key, v);
    }
    return v;
  } catch {
    return randomKey();
  }
}

function storedName(): string {
  try {
    return localStorage.getItem(NAME_KEY) ?? '';
  } catch {
    return '';
  }
}

export function MeetFrame({ children, center = true, testId }: { children: React.ReactNode; center?: boolean; testId?: string }) {
  const { t } = useTranslation();
  const signedIn = !!useMe().data;
  return (
    <div className="meet-screen" data-testid={testId}>
      <header className="meet-screen-top">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true">K</span>
          <span className="brand-name">{t('common.appName')}</span>
        </div>
        <LanguageToggle signedIn={signedIn} />
      </header>
      <main id="main" className={center ? 'meet-screen-main' : 'meet-screen-main meet-screen-main-top'}>
        {children}
      </main>
    </div>
  );
}

function DeviceSelect({ kind, devices, value, onChange, testId }: { kind: 'mic' | 'cam'; devices: MediaDeviceInfo[]; value: string; onChange: (id: string) => void; testId: string }) {
  const { t } = useTranslation();
  const label = kind === 'mic' ? t('meet.microphone') : t('meet.camera');
  return (
    <Field label={label}>
      <select value={value} onChange={(e) => onChange(e.target.value)} data-testid={testId} disabled={devices.length === 0}>
        {devices.length === 0 ? <option value="">{t('meet.defaultDevice')}</option> : null}
        {devices.map((d, i) => (
          <option key={d.deviceId} value={d.deviceId}>
            {d.label || t('meet.deviceN', { kind: label, n: i + 1 })}
          </option>
        ))}
      </select>
    </Field>
  );
}

function problemText(t: (k: string) => string, p: DeviceProblem): string | null {
  return p ? t(`meet.problem.${p}`) : null;
}

/** Camera preview with mic/camera toggles and the mic level; also used in the waiting room. */
export function Preview({ media, name }: { media: LocalMedia; name: string }) {
  const { t } = useTranslation();
  const m = useStore(media.store);
  const stream = useTrackStream(m.cam);
  const videoRef = useSrcObject<HTMLVideoElement>(stream);
  const meter = useLevelMeter(m.mic, m.micOn);
  return (
    <div className="prejoin-preview" data-testid="prejoin-preview">
      {m.cam ? (
        <video ref={videoRef} className="mirror" autoPlay playsInline muted data-testid="prejoin-video" />
      ) : (
        <div className="prejoin-novideo">
          <span className="tile-avatar" aria-hidden="true">{(name.trim()[0] ?? '?').toUpperCase()}</span>
          <span>{m.camStarting ? t('meet.cameraStarting') : t('meet.cameraOff')}</span>
        </div>
      )}
      <div className="prejoin-meter" role="meter" aria-label={t('meet.micLevel')} data-testid="prejoin-meter">
        <Icon name={m.micOn ? 'mic' : 'micOff'} size={14} />
        <span className="prejoin-meter-bar" ref={meter}>
          <span />
        </span>
      </div>
      <div className="prejoin-toggles">
        <button
          type="button"
          className={`ctl-round${m.micOn ? '' : ' off'}`}
          onClick={() => void media.setMicOn(!m.micOn)}
          aria-pressed={!m.micOn}
          aria-label={m.micOn ? t('meet.mute') : t('meet.unmute')}
          title={m.micOn ? t('meet.mute') : t('meet.unmute')}
          disabled={m.micProblem === 'unsupported'}
          data-testid="prejoin-mic"
        >
          <Icon name={m.micOn ? 'mic' : 'micOff'} size={22} />
        </button>
        <button
          type="button"
          className={`ctl-round${m.camOn ? '' : ' off'}`}
          onClick={() => void media.setCamOn(!m.camOn)}
          aria-pressed={!m.camOn}
          aria-label={m.camOn ? t('meet.stopVideo') : t('meet.startVideo')}
          title={m.camOn ? t('meet.stopVideo') : t('meet.startVideo')}
          disabled={m.camProblem === 'unsupported'}
          data-testid="prejoin-cam"
        >
          <Icon name={m.camOn ? 'video' : 'videoOff'} size={22} />
        </button>
      </div>
    </div>
  );
}

function PreJoin({
  number,
  initialPasscode,
  me,
  media,
  onJoined,
}: {
  number: string;
  initialPasscode: string;
  me: Me | null;
  media: LocalMedia;
  onJoined: (r: JoinResult, passcode: string) => void;
}) {
  const { t } = useTranslation();
  const m = useStore(media.store);
  const [name, setName] = useState(() => me?.user.name ?? storedName());
  const [passcode, setPasscode] = useState(initialPasscode);
  const [askPasscode, setAskPasscode] = useState(!initialPasscode);
  const [touched, setTouched] = useState(false);
  const join = useMutation({
    mutationFn: () =>
      joinMeeting({ number, passcode: passcode.trim(), name: name.trim() || undefined, device_key: deviceKey(number) }),
    onSuccess: (r) => {
      if (!me) {
        try {
          localStorage.setItem(NAME_KEY, name.trim());
        } catch {
          // private mode
        }
      }
      onJoined(r, passcode.trim());
    },
    // A wrong passcode from a link: let them type the right one.
    onError: (e) => {
      if (isApiError(e, 'meeting.passcode_invalid') || isApiError(e, 'meeting.passcode_format')) setAskPasscode(true);
    },
  });
  useEffect(() => {
    document.title = `${t('meet.prejoinTitle')} · Kantor`;
  }, [t]);
  const nameMissing = !me && !name.trim();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    if (nameMissing || !passcode.trim()) return;
    join.mutate();
  };
  const problems = [problemText(t, m.camProblem), m.micProblem !== m.camProblem ? problemText(t, m.micProblem) : null].filter(Boolean);
  return (
    <MeetFrame testId="prejoin">
      <div className="prejoin">
        <div className="prejoin-media">
          <Preview media={media} name={name || me?.user.name || '?'} />
          {problems.length ? (
            <p className="alert alert-warning small" data-testid="prejoin-device-problem">
              {problems.join(' ')}
            </p>
          ) : null}
        </div>
        <form className="prejoin-form stack" onSubmit={submit} noValidate>
          <div>
            <h1>{t('meet.prejoinTitle')}</h1>
            <p className="muted">
              {t('meet.meetingId')}: <span className="mono" data-testid="prejoin-number">{formatMeetingNumber(number)}</span>
            </p>
          </div>
          {me ? (
            <p data-testid="prejoin-as">{t('meet.joiningAs', { name: me.user.name })}</p>
          ) : (
            <Field label={t('meet.yourName')} hint={t('meet.yourNameHint')} error={touched && nameMissing ? t('errors.validation.required') : undefined}>
              <input type="text" autoComplete="name" maxLength={80} value={name} onChange={(e) => setName(e.target.value)} data-testid="prejoin-name" autoFocus />
            </Field>
          )}
          {askPasscode ? (
            <Field label={t('meet.passcode')} error={touched && !passcode.trim() ? t('errors.validation.required') : undefined}>
              <input type="text" autoComplete="off" spellCheck={false} maxLength={10} value={passcode} onChange={(e) => setPasscode(e.target.value.trim())} data-testid="prejoin-passcode" />
            </Field>
          ) : null}
          <FormError error={join.error} testId="prejoin-error" />
          <button type="submit" className="btn btn-primary btn-block btn-lg" disabled={join.isPending} data-testid="prejoin-join">
            {join.isPending ? t('meet.joining') : t('meet.join')}
          </button>
          {!me ? (
            <p className="muted small">
              {t('meet.signInHint')}{' '}
              <Link to={`/login?next=${encodeURIComponent(window.location.pathname + window.location.search)}`}>{t('meet.signIn')}</Link>
            </p>
          ) : null}
        </form>
        <div className="grid-2 prejoin-devices">
          <DeviceSelect kind="mic" devices={m.mics} value={m.micId} onChange={(id) => void media.selectMic(id)} testId="prejoin-mic-select" />
          <DeviceSelect kind="cam" devices={m.cams} value={m.camId} onChange={(id) => void media.selectCam(id)} testId="prejoin-cam-select" />
        </div>
      </div>
    </MeetFrame>
  );
}

const FINAL_TEXT: Partial<Record<Phase, [string, string | null]>> = {
  ended: ['meet.endedTitle', 'meet.endedBody'],
  removed: ['meet.removedTitle', 'meet.removedBody'],
  denied: ['meet.deniedTitle', 'meet.deniedBody'],
  replaced: ['meet.replacedTitle', 'meet.replacedBody'],
  left: ['meet.leftTitle', null],
  failed: ['meet.failedTitle', null],
};

function FinalScreen({ phase, code, signedIn, onRejoin }: { phase: Phase; code: string | null; signedIn: boolean; onRejoin: () => void }) {
  const { t } = useTranslation();
  const [title, body] = FINAL_TEXT[phase] ?? ['meet.leftTitle', null];
  const canRejoin = phase === 'left' || phase === 'replaced' || phase === 'failed';
  useEffect(() => {
    document.title = `${t(title)} · Kantor`;
  }, [t, title]);
  return (
    <MeetFrame testId="meet-final">
      <div className="card meet-final" data-phase={phase} data-testid={`meet-${phase}`}>
        <div className={`meet-final-icon${phase === 'left' || phase === 'ended' ? '' : ' warn'}`} aria-hidden="true">
          <Icon name={phase === 'left' || phase === 'ended' ? 'phoneOff' : 'alert'} size={26} />
        </div>
        <h1>{t(title)}</h1>
        {body ? <p className="muted">{t(body)}</p> : null}
        {code ? <p className="muted small">{t(`errors.${code}`, { defaultValue: t('errors.withCode', { code }) })}</p> : null}
        <div className="button-row meet-final-actions">
          {canRejoin ? (
            <button type="button" className="btn btn-primary" onClick={onRejoin} data-testid="meet-rejoin">
              {t('meet.rejoin')}
            </button>
          ) : null}
          {signedIn ? (
            <Link to="/" className="btn btn-secondary" data-testid="meet-back">
              {t('meet.backToKantor')}
            </Link>
          ) : null}
        </div>
      </div>
    </MeetFrame>
  );
}

export default function MeetPage() {
  const { t } = useTranslation();
  const { number = '' } = useParams();
  const [params] = useSearchParams();
  const digits = parseMeetingNumber(number);
  const me = useMe();
  const [media, setMedia] = useState<LocalMedia | null>(null);
  const [round, setRound] = useState(0);
  const [joined, setJoined] = useState<{ result: JoinResult; passcode: string } | null>(null);
  const [final, setFinal] = useState<{ phase: Phase; code: string | null } | null>(null);

  useEffect(() => {
    if (final) return;
    const m = new LocalMedia();
    setMedia(m);
    void m.start();
    return () => m.dispose();
  }, [round, final]);

  if (!digits) {
    return (
      <MeetFrame testId="meet-bad-link">
        <div className="card meet-final">
          <h1>{t('meet.failedTitle')}</h1>
          <p className="muted">{t('meet.badLink')}</p>
        </div>
      </MeetFrame>
    );
  }
  if (me.isPending || !media) return <FullPageLoading />;
  if (final) {
    return (
      <FinalScreen
        phase={final.phase}
        code={final.code}
        signedIn={!!me.data}
        onRejoin={() => {
          setFinal(null);
          setJoined(null);
          setRound((r) => r + 1);
        }}
      />
    );
  }
  if (!joined) {
    return (
      <PreJoin
        number={digits}
        initialPasscode={params.get('pwd') ?? ''}
        me={me.data ?? null}
        media={media}
        onJoined={(result, passcode) => setJoined({ result, passcode })}
      />
    );
  }
  return (
    <Room
      key={joined.result.token}
      join={joined.result}
      passcode={joined.passcode}
      media={media}
      onFinal={(phase, code) => setFinal({ phase, code })}
    />
  );
}
