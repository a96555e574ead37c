// Small hooks of the meeting screens: a MediaStream for a track, the mic level, element sizes.

import { useEffect, useMemo, useRef, useState, type RefObject } from 'react';

/** A stable MediaStream wrapping one track (null without a track). */
export function useTrackStream(track: MediaStreamTrack | null): MediaStream | null {
  return useMemo(() => (track ? new MediaStream([track]) : null), [track]);
}

/** Plays a stream in a <video>/<audio> element. */
export function useSrcObject<T extends HTMLMediaElement>(stream: MediaStream | null): RefObject<T | null> {
  const ref = useRef<T>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    if (el.srcObject !== stream) el.srcObject = stream;
    if (stream) void el.play().catch(() => {});
  }, [stream]);
  return ref;
}

let sharedContext: AudioContext | null = null;

function audioContext(): AudioContext | null {
  if (typeof AudioContext === 'undefined') return null;
  if (!sharedContext || sharedContext.state === 'closed') sharedContext = new AudioContext();
  if (sharedContext.state === 'suspended') {
    const resume = () => void sharedContext?.resume().catch(() => {});
    resume();
    window.addEventListener('pointerdown', resume, { once: true });
  }
  return sharedContext;
}

/**
 * Drives a level bar (0–1 as the element's `--level`) from a mic track, at animation-frame rate
 * without re-rendering React.
 */
export function useLevelMeter(track: MediaStreamTrack | null, enabled: boolean): RefObject<HTMLDivElement | null> {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!track || !enabled || !el) {
      el?.style.setProperty('--level', '0');
      return;
    }
    const ctx = audioContext();
    if (!ctx) return;
    const source = ctx.createMediaStreamSource(new MediaStream([track]));
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 512;
    source.connect(analyser);
    const data = new Uint8Array(analyser.fftSize);
    let frame = 0;
    let smooth = 0;
    const tick = () => {
      analyser.getByteTimeDomainData(data);
      let sum = 0;
      for (const v of data) {
        const x = (v - 128) / 128;
        sum += x * x;
      }
      const rms = Math.sqrt(sum / data.length);
      const level = Math.min(1, rms * 4);
      smooth = level > smooth ? level : smooth * 0.85 + level * 0.15;
      el.style.setProperty('--level', smooth.toFixed(3));
      frame = requestAnimationFrame(tick);
    };
    frame = requestAnimationFrame(tick);
    return () => {
      cancelAnimationFrame(frame);
      source.disconnect();
      el.style.setProperty('--level', '0');
    };
  }, [track, enabled]);
  return ref;
}

/** The CSS size of an element, kept current with a ResizeObserver (a callback ref, so it also
 * works when the element mounts later than the component). */
export function useElementSize<T extends HTMLElement>(): [(el: T | null) => void, { width: number; height: number }] {
  const [el, setEl] = useState<T | null>(null);
  const [size, setSize] = useState({ width: 0, height: 0 });
  useEffect(() => {
    if (!el || typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver((entries) => {
      const r = entries[0]?.contentRect;
      // Rounded down: whatever is sized to fit inside must never be the fraction too big.
      if (r) setSize((s) => (Math.floor(r.width) === s.width && Math.floor(r.height) === s.height ? s : { width: Math.floor(r.width), height: Math.floor(r.height) }));
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, [el]);
  return [setEl, size];
}

/** The window's size, for the gallery's page size. */
export function useViewport(): { width: number; height: number } {
  const [size, setSize] = useState(() => ({ width: window.innerWidth, height: window.innerHeight }));
  useEffect(() => {
    const on = () => setSize({ width: window.innerWidth, height: window.innerHeight });
    window.addEventListener('resize', on);
    return () => window.removeEventListener('resize', on);
  }, []);
  return size;
}
