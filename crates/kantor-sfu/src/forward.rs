//! The forwarding core: which packet goes to which subscriber, with what sequence number,
//! timestamp and VP8 picture id. Pure — no sockets, no str0m, no clock of its own: every
//! decision is handed the packet's arrival time. Tested below packet by packet.
//!
//! A subscriber sees one continuous stream per remote track even though the SFU switches between
//! the publisher's simulcast layers (each layer is its own RTP stream with its own sequence
//! numbers, timestamps and picture ids), pauses it while the tile is hidden, and drops it while
//! muted. [`Rewriter`] keeps numbering continuous across those gaps; [`VideoForward`] switches
//! layers only where a keyframe starts, so the decoder never sees a frame it cannot decode.

use std::time::{Duration, Instant};

/// Simulcast layer index: 0 = `q` (quarter), 1 = `h` (half), 2 = `f` (full).
pub type Layer = u8;

/// The three simulcast layers' rids, lowest first.
pub const LAYER_RIDS: [&str; 3] = ["q", "h", "f"];

/// What the core needs to know about one incoming packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InPacket {
    /// Extended (never wrapping) sequence number of the publisher's stream.
    pub seq: u64,
    /// RTP timestamp as sent.
    pub ts: u32,
    /// When it arrived.
    pub at: Instant,
    /// True on the first packet of a keyframe.
    pub keyframe: bool,
    /// VP8 picture id (15-bit space) and TL0PICIDX, when the descriptor carries them.
    pub picture_id: Option<u16>,
    pub tl0: Option<u8>,
}

/// The rewritten numbering of a forwarded packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutPacket {
    pub seq: u64,
    pub ts: u32,
    pub picture_id: Option<u16>,
    pub tl0: Option<u8>,
}

#[derive(Clone, Copy, Debug)]
struct Last {
    out_seq: u64,
    out_ts: u32,
    out_pic: Option<u16>,
    out_tl0: Option<u8>,
    at: Instant,
}

/// Keeps one outgoing stream's numbering continuous while its source changes or pauses.
#[derive(Clone, Debug)]
pub struct Rewriter {
    clock_rate: u32,
    seq_offset: u64,
    ts_offset: u32,
    pic_offset: u16,
    tl0_offset: u8,
    /// Packets before this input sequence number belong to the previous source segment.
    first_in_seq: u64,
    last: Option<Last>,
    resync: bool,
}

const PIC_MASK: u16 = 0x7fff;

impl Rewriter {
    pub fn new(clock_rate: u32) -> Rewriter {
        Rewriter {
            clock_rate,
            seq_offset: 0,
            ts_offset: 0,
            pic_offset: 0,
            tl0_offset: 0,
            first_in_seq: 0,
            last: None,
            resync: true,
        }
    }

    /// The next packet starts a new segment (another layer, or after a pause): it gets the
    /// sequence number after the last one sent, and a timestamp advanced by the time that
    /// passed since.
    pub fn resync(&mut self) {
        self.resync = true;
    }

    /// The last sequence number sent, if any.
    pub fn last_seq(&self) -> Option<u64> {
        self.last.map(|l| l.out_seq)
    }

    /// Rewrites `p`, or `None` when it belongs before the current segment (a late packet of
    /// the previous layer's sequence space) and must not be sent.
    pub fn rewrite(&mut self, p: &InPacket) -> Option<OutPacket> {
        if self.resync {
            self.resync = false;
            self.first_in_seq = p.seq;
            match self.last {
                None => {
                    // The first packet keeps its numbers: nothing to be continuous with.
                    self.seq_offset = 0;
                    self.ts_offset = 0;
                    self.pic_offset = 0;
                    self.tl0_offset = 0;
                }
                Some(l) => {
                    let out_seq = l.out_seq + 1;
                    self.seq_offset = out_seq.wrapping_sub(p.seq);
                    let elapsed = p.at.saturating_duration_since(l.at);
                    let ticks = ticks(elapsed, self.clock_rate).max(1);
                    let out_ts = l.out_ts.wrapping_add(ticks);
                    self.ts_offset = out_ts.wrapping_sub(p.ts);
                    if let (Some(last_pic), Some(pic)) = (l.out_pic, p.picture_id) {
                        let out_pic = last_pic.wrapping_add(1) & PIC_MASK;
                        self.pic_offset = out_pic.wrapping_sub(pic) & PIC_MASK;
                    }
                    if let (Some(last_tl0), Some(tl0)) = (l.out_tl0, p.tl0) {
                        self.tl0_offset = last_tl0.wrapping_add(1).wrapping_sub(tl0);
                    }
                }
            }
        }
        if p.seq < self.first_in_seq {
            return None;
        }
        let out = OutPacket {
            seq: p.seq.wrapping_add(self.seq_offset),
            ts: p.ts.wrapping_add(self.ts_offset),
            picture_id: p
                .picture_id
                .map(|pic| pic.wrapping_add(self.pic_offset) & PIC_MASK),
            tl0: p.tl0.map(|t| t.wrapping_add(self.tl0_offset)),
        };
        let newer = self.last.is_none_or(|l| out.seq > l.out_seq);
        if newer {
            let prev = self.last;
            self.last = Some(Last {
                out_seq: out.seq,
                out_ts: out.ts,
                out_pic: out.picture_id.or(prev.and_then(|l| l.out_pic)),
                out_tl0: out.tl0.or(prev.and_then(|l| l.out_tl0)),
                at: p.at,
            });
        }
        Some(out)
    }
}

fn ticks(d: Duration, clock_rate: u32) -> u32 {
    let t = d.as_micros() * u128::from(clock_rate) / 1_000_000;
    u32::try_from(t).unwrap_or(u32::MAX)
}

/// What to do with one incoming video packet for one subscriber.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Forward(OutPacket),
    Drop,
    /// Drop it, and the subscriber is waiting for a keyframe on this layer: ask the publisher
    /// for one (rate-limited by [`KeyframeLimiter`]).
    DropWantKeyframe(Layer),
}

/// One subscriber's view of one remote video track.
#[derive(Clone, Debug)]
pub struct VideoForward {
    /// The layer the subscriber should get; `None` = paused (tile hidden, audio-only, muted).
    target: Option<Layer>,
    /// The layer being forwarded now.
    current: Option<Layer>,
    rewriter: Rewriter,
}

impl Default for VideoForward {
    fn default() -> Self {
        VideoForward {
            target: None,
            current: None,
            rewriter: Rewriter::new(90_000),
        }
    }
}

impl VideoForward {
    pub fn target(&self) -> Option<Layer> {
        self.target
    }

    pub fn current(&self) -> Option<Layer> {
        self.current
    }

    /// Chooses the layer to switch to. The switch happens at the next keyframe of that layer;
    /// until then the current layer keeps flowing (no freeze). `None` pauses at once.
    pub fn set_target(&mut self, target: Option<Layer>) {
        self.target = target;
        if target.is_none() && self.current.take().is_some() {
            self.rewriter.resync();
        }
    }

    /// Decides for a packet of `layer`.
    pub fn on_packet(&mut self, layer: Layer, p: &InPacket) -> Verdict {
        let Some(target) = self.target else {
            return Verdict::Drop;
        };
        if self.current == Some(layer) {
            return match self.rewriter.rewrite(p) {
                Some(out) => Verdict::Forward(out),
                None => Verdict::Drop,
            };
        }
        if layer != target {
            return Verdict::Drop;
        }
        if !p.keyframe {
            return Verdict::DropWantKeyframe(layer);
        }
        // A keyframe of the target layer: switch here.
        if self.current.is_some() || self.rewriter.last_seq().is_some() {
            self.rewriter.resync();
        }
        self.current = Some(layer);
        match self.rewriter.rewrite(p) {
            Some(out) => Verdict::Forward(out),
            None => Verdict::Drop,
        }
    }

    /// The layer being forwarded stopped (the publisher no longer sends it): forward nothing
    /// until the target layer's next keyframe.
    pub fn layer_stopped(&mut self, layer: Layer) {
        if self.current == Some(layer) {
            self.current = None;
            self.rewriter.resync();
        }
    }
}

/// One subscriber's view of one remote audio track: forwarded while the source is selected
/// (one of the loudest, [`crate::speakers`]) and not muted. Numbering stays continuous across
/// every pause: the next forwarded packet gets the sequence number after the last one sent (no
/// hole the receiver would count as loss or NACK) and a timestamp advanced by the real time
/// that passed (the jitter buffer sees a pause, as after DTX).
#[derive(Clone, Debug)]
pub struct AudioForward {
    muted: bool,
    /// Whether the last packet offered was forwarded: a pause starts when this turns false.
    flowing: bool,
    rewriter: Rewriter,
}

impl Default for AudioForward {
    fn default() -> Self {
        AudioForward {
            muted: false,
            flowing: false,
            rewriter: Rewriter::new(48_000),
        }
    }
}

impl AudioForward {
    pub fn set_muted(&mut self, muted: bool) {
        if muted && !self.muted {
            self.pause();
        }
        self.muted = muted;
    }

    pub fn is_muted(&self) -> bool {
        self.muted
    }

    /// Decides for a packet of a source that is (`selected`) or is not among the loudest for
    /// this subscriber.
    pub fn on_packet(&mut self, selected: bool, p: &InPacket) -> Option<OutPacket> {
        if self.muted || !selected {
            self.pause();
            return None;
        }
        self.flowing = true;
        self.rewriter.rewrite(p)
    }

    fn pause(&mut self) {
        if std::mem::take(&mut self.flowing) {
            self.rewriter.resync();
        }
    }
}

/// Rate limit for keyframe requests sent upstream, per publisher layer: however many
/// subscribers ask (and browsers ask often after loss), the publisher gets at most one request
/// per `interval`.
#[derive(Clone, Debug)]
pub struct KeyframeLimiter {
    interval: Duration,
    last: [Option<Instant>; 3],
}

impl KeyframeLimiter {
    pub fn new(interval: Duration) -> KeyframeLimiter {
        KeyframeLimiter {
            interval,
            last: [None; 3],
        }
    }

    /// True when a request for `layer` may go upstream now (and records it).
    pub fn allow(&mut self, layer: Layer, now: Instant) -> bool {
        let Some(slot) = self.last.get_mut(usize::from(layer)) else {
            return false;
        };
        match slot {
            Some(t) if now.saturating_duration_since(*t) < self.interval => false,
            _ => {
                *slot = Some(now);
                true
            }
        }
    }

    /// A keyframe arrived on `layer`: a new request may follow without waiting.
    pub fn keyframe_seen(&mut self, layer: Layer) {
        if let Some(slot) = self.last.get_mut(usize::from(layer)) {
            *slot = None;
        }
    }
}

/// The subscriber's wishes for one video track.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Want {
    /// Shown at all.
    pub visible: bool,
    /// Tile size in device pixels.
    pub width: u32,
    pub height: u32,
}

/// Picks the layer for a tile: ≤ 320×180 → `q`, ≤ 640×360 → `h`, else `f`; screen shares are
/// one layer (`None` rid) and always `0`. `data_saver` caps at `q`; `audio_only` and hidden
/// tiles pause. `budget_bps` (the subscriber's bandwidth estimate share for this track) caps
/// the choice by the layer bitrates `layer_bps`; the lowest layer is kept even when the
/// estimate is below it (the estimator recovers only with traffic). `active` says which layers
/// the publisher is sending now.
pub fn choose_layer(
    want: Want,
    data_saver: bool,
    audio_only: bool,
    budget_bps: Option<u64>,
    layer_bps: [u64; 3],
    active: [bool; 3],
) -> Option<Layer> {
    if !want.visible || audio_only {
        return None;
    }
    let by_size: Layer = if want.width <= 320 && want.height <= 180 {
        0
    } else if want.width <= 640 && want.height <= 360 {
        1
    } else {
        2
    };
    let mut layer = if data_saver { 0 } else { by_size };
    if let Some(budget) = budget_bps {
        while layer > 0 && layer_bps[usize::from(layer)] > budget {
            layer -= 1;
        }
    }
    // Nearest active layer, preferring lower ones (less bandwidth) before higher.
    if active[usize::from(layer)] {
        return Some(layer);
    }
    if let Some(lower) = (0..layer).rev().find(|l| active[usize::from(*l)]) {
        return Some(lower);
    }
    if data_saver {
        // Never more than `q` in data saver, even if `q` is not sent right now.
        return Some(0);
    }
    ((layer + 1)..3)
        .find(|l| active[usize::from(*l)])
        .or(Some(layer))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkt(seq: u64, ts: u32, at: Instant, keyframe: bool) -> InPacket {
        InPacket {
            seq,
            ts,
            at,
            keyframe,
            picture_id: None,
            tl0: None,
        }
    }

    fn fwd(v: Verdict) -> OutPacket {
        match v {
            Verdict::Forward(o) => o,
            other => panic!("expected forward, got {other:?}"),
        }
    }

    #[test]
    fn nothing_flows_before_a_keyframe_of_the_target_layer() {
        let t0 = Instant::now();
        let mut v = VideoForward::default();
        assert_eq!(
            v.on_packet(1, &pkt(10, 1000, t0, true)),
            Verdict::Drop,
            "paused"
        );
        v.set_target(Some(1));
        assert_eq!(
            v.on_packet(1, &pkt(11, 4000, t0, false)),
            Verdict::DropWantKeyframe(1)
        );
        assert_eq!(v.on_packet(0, &pkt(500, 9, t0, true)), Verdict::Drop);
        let o = fwd(v.on_packet(1, &pkt(12, 7000, t0, true)));
        assert_eq!(
            (o.seq, o.ts),
            (12, 7000),
            "the first packet keeps its numbers"
        );
        let o = fwd(v.on_packet(1, &pkt(13, 7000, t0, false)));
        assert_eq!(o.seq, 13);
        assert_eq!(v.current(), Some(1));
    }

    #[test]
    fn layer_switches_only_on_a_keyframe_and_numbering_stays_continuous() {
        let t0 = Instant::now();
        let mut v = VideoForward::default();
        v.set_target(Some(0));
        fwd(v.on_packet(0, &pkt(100, 90_000, t0, true)));
        let last = fwd(v.on_packet(0, &pkt(101, 93_000, t0 + Duration::from_millis(33), false)));
        assert_eq!(last.seq, 101);

        v.set_target(Some(2));
        // Layer 0 keeps flowing until layer 2 has a keyframe; layer 2's deltas are dropped.
        let t1 = t0 + Duration::from_millis(66);
        assert_eq!(
            v.on_packet(2, &pkt(5000, 1_000_000, t1, false)),
            Verdict::DropWantKeyframe(2)
        );
        let o = fwd(v.on_packet(0, &pkt(102, 96_000, t1, false)));
        assert_eq!(o.seq, 102);
        assert_eq!(v.current(), Some(0));

        // The keyframe on layer 2 switches: seq follows on, ts advances by the elapsed time.
        let t2 = t1 + Duration::from_millis(100);
        let o = fwd(v.on_packet(2, &pkt(5001, 1_003_000, t2, true)));
        assert_eq!(o.seq, 103, "continuous sequence numbers");
        assert_eq!(
            o.ts,
            96_000 + 9_000,
            "100 ms at 90 kHz after the last timestamp"
        );
        assert_eq!(v.current(), Some(2));
        // Packets of the same frame keep the same rewritten timestamp.
        let o = fwd(v.on_packet(2, &pkt(5002, 1_003_000, t2, false)));
        assert_eq!((o.seq, o.ts), (104, 105_000));
        // The old layer is dropped now, and a late packet of the new layer from before the
        // switch point is not sent (it would reuse a sequence number).
        assert_eq!(v.on_packet(0, &pkt(103, 99_000, t2, false)), Verdict::Drop);
        assert_eq!(
            v.on_packet(2, &pkt(5000, 1_000_000, t2, false)),
            Verdict::Drop
        );
        // Next frame: +3000 in, +3000 out.
        let o = fwd(v.on_packet(2, &pkt(5003, 1_006_000, t2, false)));
        assert_eq!((o.seq, o.ts), (105, 108_000));
    }

    #[test]
    fn switching_down_also_waits_for_a_keyframe() {
        let t0 = Instant::now();
        let mut v = VideoForward::default();
        v.set_target(Some(2));
        fwd(v.on_packet(2, &pkt(1, 0, t0, true)));
        v.set_target(Some(0));
        assert_eq!(
            v.on_packet(0, &pkt(70, 50, t0, false)),
            Verdict::DropWantKeyframe(0)
        );
        fwd(v.on_packet(2, &pkt(2, 0, t0, false)));
        let o = fwd(v.on_packet(0, &pkt(71, 3050, t0, true)));
        assert_eq!(o.seq, 3);
        assert_eq!(o.ts, 1, "at least one tick after the last frame");
    }

    #[test]
    fn picture_ids_and_tl0_continue_across_a_switch_and_wrap() {
        let t0 = Instant::now();
        let mut v = VideoForward::default();
        v.set_target(Some(0));
        let mut p = pkt(1, 0, t0, true);
        p.picture_id = Some(0x7ffe);
        p.tl0 = Some(255);
        let o = fwd(v.on_packet(0, &p));
        assert_eq!((o.picture_id, o.tl0), (Some(0x7ffe), Some(255)));
        v.set_target(Some(1));
        let mut k = pkt(900, 0, t0, true);
        k.picture_id = Some(12);
        k.tl0 = Some(40);
        let o = fwd(v.on_packet(1, &k));
        assert_eq!(o.picture_id, Some(0x7fff));
        assert_eq!(o.tl0, Some(0), "u8 wraps");
        k.seq = 901;
        k.keyframe = false;
        k.picture_id = Some(13);
        k.tl0 = Some(41);
        let o = fwd(v.on_packet(1, &k));
        assert_eq!(o.picture_id, Some(0), "15-bit picture id wraps");
        assert_eq!(o.tl0, Some(1));
    }

    #[test]
    fn pausing_and_resuming_keeps_numbering_continuous() {
        let t0 = Instant::now();
        let mut v = VideoForward::default();
        v.set_target(Some(1));
        fwd(v.on_packet(1, &pkt(10, 0, t0, true)));
        v.set_target(None);
        assert_eq!(v.on_packet(1, &pkt(11, 3000, t0, false)), Verdict::Drop);
        assert_eq!(v.current(), None);
        v.set_target(Some(1));
        assert_eq!(
            v.on_packet(1, &pkt(12, 6000, t0, false)),
            Verdict::DropWantKeyframe(1)
        );
        let o = fwd(v.on_packet(1, &pkt(40, 90_000, t0 + Duration::from_secs(1), true)));
        assert_eq!((o.seq, o.ts), (11, 90_000));
    }

    #[test]
    fn a_stopped_layer_waits_for_the_next_keyframe() {
        let t0 = Instant::now();
        let mut v = VideoForward::default();
        v.set_target(Some(2));
        fwd(v.on_packet(2, &pkt(10, 0, t0, true)));
        v.layer_stopped(2);
        assert_eq!(
            v.on_packet(2, &pkt(11, 10, t0, false)),
            Verdict::DropWantKeyframe(2)
        );
        assert_eq!(fwd(v.on_packet(2, &pkt(12, 20, t0, true))).seq, 11);
    }

    #[test]
    fn reordered_packets_keep_their_order_and_loss_stays_visible() {
        let t0 = Instant::now();
        let mut v = VideoForward::default();
        v.set_target(Some(0));
        fwd(v.on_packet(0, &pkt(10, 0, t0, true)));
        assert_eq!(fwd(v.on_packet(0, &pkt(12, 0, t0, false))).seq, 12);
        assert_eq!(fwd(v.on_packet(0, &pkt(11, 0, t0, false))).seq, 11);
        // 13 lost: 14 keeps its gap so the receiver NACKs it.
        assert_eq!(fwd(v.on_packet(0, &pkt(14, 0, t0, false))).seq, 14);
    }

    #[test]
    fn muted_audio_is_dropped_and_resumes_continuously() {
        let t0 = Instant::now();
        let mut a = AudioForward::default();
        assert_eq!(
            a.on_packet(true, &pkt(7, 960, t0, false)).map(|o| o.seq),
            Some(7)
        );
        a.set_muted(true);
        assert_eq!(a.on_packet(true, &pkt(8, 1920, t0, false)), None);
        assert_eq!(a.on_packet(true, &pkt(9, 2880, t0, false)), None);
        a.set_muted(false);
        let o = a
            .on_packet(
                true,
                &pkt(60, 50_000, t0 + Duration::from_millis(500), false),
            )
            .expect("forwarded");
        assert_eq!(o.seq, 8, "no hole where the mute was");
        assert_eq!(o.ts, 960 + 24_000, "500 ms at 48 kHz");
    }

    #[test]
    fn an_unselected_source_pauses_and_resumes_without_a_hole() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut a = AudioForward::default();
        // Selected: 100..=104 go out as they are.
        for i in 0..5u32 {
            let o = a
                .on_packet(
                    true,
                    &pkt(100 + u64::from(i), 960 * i, t0 + ms(20) * i, false),
                )
                .expect("forwarded");
            assert_eq!((o.seq, o.ts), (100 + u64::from(i), 960 * i));
        }
        // Not among the loudest for 2 s (100 packets): nothing goes out.
        for i in 5..105u32 {
            assert_eq!(
                a.on_packet(
                    false,
                    &pkt(100 + u64::from(i), 960 * i, t0 + ms(20) * i, false)
                ),
                None
            );
        }
        // Selected again: the next sequence number, the timestamp 2 s on (real time), and
        // then the source's own spacing.
        let o = a
            .on_packet(true, &pkt(205, 960 * 105, t0 + ms(20) * 105, false))
            .expect("forwarded");
        assert_eq!(o.seq, 105, "no hole: the receiver sees no loss");
        assert_eq!(
            o.ts,
            960 * 4 + 48 * 2020,
            "2,020 ms at 48 kHz after the last"
        );
        let next = a
            .on_packet(true, &pkt(206, 960 * 106, t0 + ms(20) * 106, false))
            .expect("forwarded");
        assert_eq!((next.seq, next.ts), (106, o.ts + 960));
        // A source that was never forwarded starts with its own numbers.
        let mut b = AudioForward::default();
        assert_eq!(b.on_packet(false, &pkt(1, 0, t0, false)), None);
        assert_eq!(
            b.on_packet(true, &pkt(2, 960, t0, false)).map(|o| o.seq),
            Some(2)
        );
    }

    #[test]
    fn keyframe_requests_are_rate_limited_per_layer() {
        let t0 = Instant::now();
        let mut k = KeyframeLimiter::new(Duration::from_millis(500));
        assert!(k.allow(1, t0));
        assert!(!k.allow(1, t0 + Duration::from_millis(100)), "too soon");
        assert!(k.allow(0, t0 + Duration::from_millis(100)), "other layer");
        assert!(k.allow(1, t0 + Duration::from_millis(500)));
        k.keyframe_seen(1);
        assert!(
            k.allow(1, t0 + Duration::from_millis(501)),
            "keyframe resets"
        );
        assert!(!k.allow(7, t0), "unknown layer");
    }

    #[test]
    fn layer_choice_follows_tile_size_modes_budget_and_what_is_sent() {
        let want = |w, h| Want {
            visible: true,
            width: w,
            height: h,
        };
        let bps = [150_000, 500_000, 1_500_000];
        let all = [true; 3];
        assert_eq!(
            choose_layer(want(320, 180), false, false, None, bps, all),
            Some(0)
        );
        assert_eq!(
            choose_layer(want(640, 360), false, false, None, bps, all),
            Some(1)
        );
        assert_eq!(
            choose_layer(want(1280, 720), false, false, None, bps, all),
            Some(2)
        );
        assert_eq!(
            choose_layer(want(1280, 720), true, false, None, bps, all),
            Some(0)
        );
        assert_eq!(
            choose_layer(want(1280, 720), false, true, None, bps, all),
            None
        );
        assert_eq!(
            choose_layer(Want::default(), false, false, None, bps, all),
            None,
            "hidden"
        );
        assert_eq!(
            choose_layer(want(1280, 720), false, false, Some(600_000), bps, all),
            Some(1),
            "budget caps"
        );
        assert_eq!(
            choose_layer(want(1280, 720), false, false, Some(10_000), bps, all),
            Some(0),
            "lowest layer kept"
        );
        assert_eq!(
            choose_layer(
                want(1280, 720),
                false,
                false,
                None,
                bps,
                [true, true, false]
            ),
            Some(1),
            "f not sent"
        );
        assert_eq!(
            choose_layer(want(320, 180), false, false, None, bps, [false, true, true]),
            Some(1),
            "q not sent: next up"
        );
        assert_eq!(
            choose_layer(want(320, 180), true, false, None, bps, [false, true, true]),
            Some(0),
            "data saver never goes up"
        );
    }
}
