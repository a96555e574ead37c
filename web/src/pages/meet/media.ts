// The local camera, microphone and shared screen, shared by the pre-join screen and the room.
// The mic track stays open while muted (enabled = false: instant unmute, and the level meter
// keeps working); the camera is stopped when turned off, so its light goes out.

import { Store } from './store';

export type DeviceProblem = 'denied' | 'notfound' | 'busy' | 'unsupported' | null;

export interface MediaState {
  mic: MediaStreamTrack | null;
  cam: MediaStreamTrack | null;
  screen: MediaStreamTrack | null;
  micOn: boolean;
  camOn: boolean;
  micId: string;
  camId: string;
  mics: MediaDeviceInfo[];
  cams: MediaDeviceInfo[];
  micProblem: DeviceProblem;
  camProblem: DeviceProblem;
  camStarting: boolean;
}

const PREF_KEY = 'kantor.meet.devices';

function loadPrefs(): { micId?: string; camId?: string; micOn?: boolean; camOn?: boolean } {
  try {
    return JSON.parse(localStorage.getItem(PREF_KEY) ?? '{}') as ReturnType<typeof loadPrefs>;
  } catch {
    return {};
  }
}

function problemOf(e: unknown): DeviceProblem {
  const name = e instanceof DOMException || e instanceof Error ? e.name : '';
  if (name === 'NotAllowedError' || name === 'SecurityError') return 'denied';
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return 'notfound';
  if (name === 'NotReadableError' || name === 'AbortError') return 'busy';
  return 'unsupported';
}

/**
 * 720p on computers; 540p on phones (cheap Android phones on mobile data: less CPU for three
 * simulcast encodings and less upload, and a phone's tile is small anyway).
 */
export function cameraConstraints(): MediaTrackConstraints {
  const phone = typeof window !== 'undefined' && window.matchMedia?.('(pointer: coarse) and (max-width: 820px)').matches;
  return phone
    ? { width: { ideal: 960 }, height: { ideal: 540 }, frameRate: { ideal: 24, max: 24 } }
    : { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 24, max: 30 } };
}

export class LocalMedia {
  readonly store: Store<MediaState>;
  /** Called when a track is swapped (device change, camera on/off): the room replaces it. */
  onTrack: (kind: 'mic' | 'cam' | 'screen', track: MediaStreamTrack | null) => void = () => {};
  private disposed = false;

  constructor() {
    const prefs = loadPrefs();
    this.store = new Store<MediaState>({
      mic: null,
      cam: null,
      screen: null,
      micOn: prefs.micOn ?? true,
      camOn: prefs.camOn ?? true,
      micId: prefs.micId ?? '',
      camId: prefs.camId ?? '',
      mics: [],
      cams: [],
      micProblem: null,
      camProblem: null,
      camStarting: false,
    });
    navigator.mediaDevices?.addEventListener?.('devicechange', this.refreshDevices);
  }

  get state(): MediaState {
    return this.store.get();
  }

  private savePrefs() {
    const s = this.state;
    try {
      localStorage.setItem(PREF_KEY, JSON.stringify({ micId: s.micId, camId: s.camId, micOn: s.micOn, camOn: s.camOn }));
    } catch {
      // private mode
    }
  }

  /** Opens what the saved choices say (both by default). */
  async start(): Promise<void> {
    if (!navigator.mediaDevices?.getUserMedia) {
      this.store.update({ micProblem: 'unsupported', camProblem: 'unsupported', micOn: false, camOn: false });
      return;
    }
    await this.openMic(this.state.micId);
    if (this.state.camOn) await this.openCam(this.state.camId);
    await this.refreshDevices();
  }

  refreshDevices = async (): Promise<void> => {
    if (!navigator.mediaDevices?.enumerateDevices) return;
    try {
      const all = await navigator.mediaDevices.enumerateDevices();
      this.store.update({
        mics: all.filter((d) => d.kind === 'audioinput' && d.deviceId),
        cams: all.filter((d) => d.kind === 'videoinput' && d.deviceId),
      });
    } catch {
      // keep what we had
    }
  };

  private async openMic(deviceId: string): Promise<void> {
    try {
      const stream = await navigator.mediaDevices.getUserMedia({
        audio: {
          deviceId: deviceId ? { exact: deviceId } : undefined,
          echoCancellation: true,
          noiseSuppression: true,
          autoGainControl: true,
        },
      });
      if (this.disposed) return stream.getTracks().forEach((t) => t.stop());
      const track = stream.getAudioTracks()[0] ?? null;
      const old = this.state.mic;
      if (track) track.enabled = this.state.micOn;
      this.store.update({ mic: track, micProblem: null, micId: track?.getSettings().deviceId ?? deviceId });
      old?.stop();
      this.onTrack('mic', track);
    } catch (e) {
      if (deviceId) return this.openMic('');
      this.store.update({ micProblem: problemOf(e), micOn: false });
    }
  }

  private async openCam(deviceId: string): Promise<void> {
    this.store.update({ camStarting: true });
    try {
      const stream = await navigator.mediaDevices.getUserMedia({
        video: { ...cameraConstraints(), deviceId: deviceId ? { exact: deviceId } : undefined },
      });
      const track = stream.getVideoTracks()[0] ?? null;
      if (this.disposed || !this.state.camOn) {
        track?.stop();
        this.store.update({ camStarting: false });
        return;
      }
      const old = this.state.cam;
      this.store.update({ cam: track, camProblem: null, camId: track?.getSettings().deviceId ?? deviceId, camStarting: false });
      old?.stop();
      this.onTrack('cam', track);
    } catch (e) {
      if (deviceId) return this.openCam('');
      this.store.update({ camProblem: problemOf(e), camOn: false, camStarting: false });
    }
  }

  async setMicOn(on: boolean): Promise<void> {
    this.store.update({ micOn: on });
    this.savePrefs();
    const mic = this.state.mic;
    if (mic) mic.enabled = on;
    else if (on) await this.openMic(this.state.micId);
  }

  async setCamOn(on: boolean): Promise<void> {
    if (on === this.state.camOn && (on ? !!this.state.cam : !this.state.cam)) return;
    this.store.update({ camOn: on });
    this.savePrefs();
    if (on) {
      await this.openCam(this.state.camId);
      await this.refreshDevices();
    } else {
      const old = this.state.cam;
      this.store.update({ cam: null });
      old?.stop();
      this.onTrack('cam', null);
    }
  }

  async selectMic(deviceId: string): Promise<void> {
    this.store.update({ micId: deviceId });
    this.savePrefs();
    await this.openMic(deviceId);
  }

  async selectCam(deviceId: string): Promise<void> {
    this.store.update({ camId: deviceId });
    this.savePrefs();
    if (this.state.camOn) await this.openCam(deviceId);
  }

  /** Asks for a screen (or window/tab); resolves false when the person cancels. */
  async startScreen(): Promise<boolean> {
    if (!navigator.mediaDevices?.getDisplayMedia) return false;
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getDisplayMedia({
        video: { width: { ideal: 1920, max: 1920 }, height: { ideal: 1080, max: 1080 }, frameRate: { ideal: 15, max: 30 } },
        audio: false,
      });
    } catch {
      return false;
    }
    const track = stream.getVideoTracks()[0];
    if (!track) return false;
    try {
      track.contentHint = 'detail';
    } catch {
      // older browsers
    }
    track.addEventListener('ended', () => {
      if (this.state.screen === track) this.stopScreen();
    });
    this.state.screen?.stop();
    this.store.update({ screen: track });
    this.onTrack('screen', track);
    return true;
  }

  stopScreen(): void {
    const track = this.state.screen;
    if (!track) return;
    this.store.update({ screen: null });
    track.stop();
    this.onTrack('screen', null);
  }

  dispose(): void {
    this.disposed = true;
    navigator.mediaDevices?.removeEventListener?.('devicechange', this.refreshDevices);
    const s = this.state;
    s.mic?.stop();
    s.cam?.stop();
    s.screen?.stop();
    this.store.update({ mic: null, cam: null, screen: null });
  }
}

export const canShareScreen = (): boolean =>
  typeof navigator !== 'undefined' && !!navigator.mediaDevices && 'getDisplayMedia' in navigator.mediaDevices;
