//! Loudest-N audio selection: which microphones are forwarded at all. Pure — no str0m, no
//! clock of its own; every call is handed the time. Tested below with a fake clock.
//!
//! In a large call everyone may unmute, but a subscriber gets only the `slots` (3) loudest
//! *other* speakers. Per source this keeps the RFC 6464 audio levels of the packets that
//! arrived in the last `window` (400 ms) — dBov as str0m gives them, `0` = loudest, `−127` =
//! silence (the sign is ignored) — and scores the source by their mean loudness
//! (`127 − |level|`, dB above silence).
//! A source is **speaking** while it has at least `min_packets` in the window and that mean is
//! at least `speaking_loudness`; one that stops sending (Opus DTX sends one comfort-noise
//! packet per 400 ms, at silence level) or falls quiet drops out within one window.
//!
//! The selection is sticky, so it does not flap between two people of about the same level:
//!
//! - **main** — up to `slots` speaking sources. A free place is filled at once by the loudest
//!   speaking candidate; a member keeps its place until it stops speaking or a candidate is
//!   louder than the quietest member by more than `margin` dB.
//! - **spare** — the loudest speaking source outside main, under the same rule (replaced only by
//!   a candidate `margin` dB louder). Nobody receives their own audio, so a subscriber who is
//!   in main hears the other `slots − 1` members plus the spare: everyone hears `slots` others
//!   when that many speak.
//!
//! Why per-source streams are paused rather than a few fixed "slot" m-lines whose source is
//! switched (Jitsi's last-N, LiveKit): a slot would splice different speakers into one SSRC —
//! the Opus decoder's state and jitter buffer would mix people, and the client would need a
//! side channel to know who is on which slot for its speaking indicators and per-person
//! volume. With one m-line per remote microphone the client keeps its one-track-per-person
//! model, and an m-line that gets nothing while its source is not selected is what an Opus
//! decoder sees during DTX anyway. [`crate::forward::AudioForward`] closes the sequence gap
//! when a source resumes and advances its timestamp by the real time that passed, so a
//! resumed stream never looks like loss. The cost is SDP size (one m-line per person), which is
//! paid at join time, not per packet.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::time::{Duration, Instant};

/// How the loudest speakers are picked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpeakerConfig {
    /// Audio streams each subscriber receives (other people's).
    pub slots: usize,
    /// How far back audio levels count.
    pub window: Duration,
    /// Mean loudness (dB above silence: `127 − |level|`) from which a source is speaking:
    /// 57 = louder than −70 dBov on average.
    pub speaking_loudness: u8,
    /// Packets needed in the window to count as speaking (3 = 60 ms of 20 ms frames).
    pub min_packets: usize,
    /// How much louder (dB) a candidate must be than a selected source to take its place.
    pub margin: u8,
}

impl Default for SpeakerConfig {
    fn default() -> Self {
        SpeakerConfig {
            slots: 3,
            window: Duration::from_millis(400),
            speaking_loudness: 57,
            min_packets: 3,
            margin: 6,
        }
    }
}

/// The loudness a packet without the audio-level extension counts as: just speaking, so a
/// client that does not send levels is heard when there is room but never pushes anyone out.
const UNKNOWN_LOUDNESS: u8 = 57;

#[derive(Clone, Debug, Default)]
struct Samples {
    /// (arrival, loudness) of the packets in the window, oldest first.
    recent: VecDeque<(Instant, u8)>,
    sum: u32,
}

impl Samples {
    fn evict(&mut self, now: Instant, window: Duration) {
        while let Some(&(at, l)) = self.recent.front() {
            if now.saturating_duration_since(at) < window {
                break;
            }
            self.recent.pop_front();
            self.sum -= u32::from(l);
        }
    }

    fn mean(&self) -> f32 {
        if self.recent.is_empty() {
            return 0.0;
        }
        self.sum as f32 / self.recent.len() as f32
    }
}

/// The loudest-N selection over sources `K` (the room uses peer ids: one microphone each).
#[derive(Clone, Debug)]
pub struct Loudest<K> {
    config: SpeakerConfig,
    sources: HashMap<K, Samples>,
    main: Vec<K>,
    spare: Option<K>,
}

impl<K: Copy + Eq + Hash> Loudest<K> {
    pub fn new(config: SpeakerConfig) -> Loudest<K> {
        Loudest {
            config,
            sources: HashMap::new(),
            main: Vec::new(),
            spare: None,
        }
    }

    pub fn config(&self) -> SpeakerConfig {
        self.config
    }

    /// An audio packet of `source` arrived at `at` with this audio level (`None`: the packet
    /// had no audio-level extension). Call [`Loudest::update`] to apply it to the selection.
    pub fn on_level(&mut self, source: K, level: Option<i8>, at: Instant) {
        let loudness = match level {
            Some(l) => 127 - l.unsigned_abs().min(127),
            None => UNKNOWN_LOUDNESS,
        };
        let s = self.sources.entry(source).or_default();
        s.recent.push_back((at, loudness));
        s.sum += u32::from(loudness);
    }

    /// The source left: it is no longer selected. True if the selection changed.
    pub fn remove(&mut self, source: K) -> bool {
        self.sources.remove(&source);
        let before = (self.main.len(), self.spare);
        self.main.retain(|k| *k != source);
        if self.spare == Some(source) {
            self.spare = None;
        }
        before != (self.main.len(), self.spare)
    }

    /// Mean loudness over the window as of the last [`Loudest::update`].
    pub fn loudness(&self, source: K) -> Option<f32> {
        self.sources.get(&source).map(Samples::mean)
    }

    /// The selected sources (at most `slots`), in the order they were selected.
    pub fn selected(&self) -> &[K] {
        &self.main
    }

    /// The loudest speaking source outside [`Loudest::selected`], for subscribers who are
    /// themselves selected.
    pub fn spare(&self) -> Option<K> {
        self.spare
    }

    /// The loudest selected source: the active speaker.
    pub fn loudest(&self) -> Option<K> {
        self.main
            .iter()
            .map(|k| (*k, self.score(*k)))
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(k, _)| k)
    }

    /// Whether `source`'s audio goes to subscriber `to`. Never their own.
    pub fn forwards(&self, source: K, to: K) -> bool {
        if source == to {
            return false;
        }
        if self.main.contains(&source) {
            return true;
        }
        self.spare == Some(source) && self.main.contains(&to)
    }

    /// Whether `source` goes to anyone at all (a cheap test before asking per subscriber).
    pub fn forwards_any(&self, source: K) -> bool {
        self.main.contains(&source) || self.spare == Some(source)
    }

    /// Forgets levels older than the window and applies the selection rules. True when the
    /// selected set or the spare changed.
    pub fn update(&mut self, now: Instant) -> bool {
        let window = self.config.window;
        for s in self.sources.values_mut() {
            s.evict(now, window);
        }
        let before_main = self.main.clone();
        let before_spare = self.spare;
        let speaking: Vec<(K, f32)> = self
            .sources
            .keys()
            .filter(|k| self.is_speaking(**k))
            .map(|k| (*k, self.score(*k)))
            .collect();
        let is_speaking = |k: &K| speaking.iter().any(|(s, _)| s == k);
        self.main.retain(is_speaking);
        self.spare = self
            .spare
            .filter(|k| is_speaking(k) && !self.main.contains(k));
        // Speaking sources outside main, loudest first.
        let mut candidates: Vec<(K, f32)> = speaking
            .iter()
            .filter(|(k, _)| !self.main.contains(k))
            .copied()
            .collect();
        candidates.sort_by(|a, b| b.1.total_cmp(&a.1));
        let margin = f32::from(self.config.margin);
        let mut rest: Vec<(K, f32)> = Vec::with_capacity(candidates.len());
        for (k, score) in candidates {
            if self.main.len() < self.config.slots {
                self.main.push(k);
                continue;
            }
            // Displace the quietest member if this candidate is clearly louder.
            let quietest = self
                .main
                .iter()
                .enumerate()
                .map(|(i, m)| (i, self.score(*m)))
                .min_by(|a, b| a.1.total_cmp(&b.1));
            match quietest {
                Some((i, q)) if score > q + margin => {
                    let out = std::mem::replace(&mut self.main[i], k);
                    rest.push((out, q));
                }
                _ => rest.push((k, score)),
            }
        }
        if self.spare.is_some_and(|s| self.main.contains(&s)) {
            self.spare = None;
        }
        rest.sort_by(|a, b| b.1.total_cmp(&a.1));
        let best = rest.iter().find(|(k, _)| Some(*k) != self.spare).copied();
        self.spare = match (self.spare, best) {
            (None, b) => b.map(|(k, _)| k),
            (Some(cur), Some((k, score))) if score > self.score(cur) + margin => Some(k),
            (cur, _) => cur,
        };
        self.main != before_main || self.spare != before_spare
    }

    fn score(&self, k: K) -> f32 {
        self.sources.get(&k).map_or(0.0, Samples::mean)
    }

    fn is_speaking(&self, k: K) -> bool {
        self.sources.get(&k).is_some_and(|s| {
            s.recent.len() >= self.config.min_packets
                && s.mean() >= f32::from(self.config.speaking_loudness)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FRAME: Duration = Duration::from_millis(20);

    /// A fake clock and a selection over sources named by number.
    struct Check {
        now: Instant,
        sel: Loudest<u32>,
    }

    impl Check {
        fn new() -> Check {
            Check {
                now: Instant::now(),
                sel: Loudest::new(SpeakerConfig::default()),
            }
        }

        /// `d` of 20 ms frames: each `(source, level)` sends one packet per frame (`None`
        /// level: no packet this time — DTX or stopped).
        fn run(&mut self, d: Duration, levels: &[(u32, i8)]) {
            let end = self.now + d;
            while self.now < end {
                self.now += FRAME;
                for (k, l) in levels {
                    self.sel.on_level(*k, Some(*l), self.now);
                }
                self.sel.update(self.now);
            }
        }

        fn selected(&self) -> Vec<u32> {
            let mut v = self.sel.selected().to_vec();
            v.sort_unstable();
            v
        }

        /// Who subscriber `to` hears, sorted.
        fn heard_by(&self, to: u32, all: std::ops::Range<u32>) -> Vec<u32> {
            all.filter(|k| self.sel.forwards(*k, to)).collect()
        }
    }

    #[test]
    fn the_three_loudest_of_five_talkers_are_selected() {
        let mut c = Check::new();
        c.run(
            Duration::from_secs(1),
            &[(1, -45), (2, -20), (3, -50), (4, -25), (5, -30)],
        );
        assert_eq!(c.selected(), vec![2, 4, 5]);
        assert_eq!(c.sel.loudest(), Some(2));
        assert_eq!(c.sel.spare(), Some(1), "the fourth loudest");
        // A listener who is not talking hears the three loudest.
        assert_eq!(c.heard_by(9, 0..10), vec![2, 4, 5]);
        // A selected talker never hears themselves: the other two and the spare.
        assert_eq!(c.heard_by(2, 0..10), vec![1, 4, 5]);
        assert_eq!(c.heard_by(4, 0..10), vec![1, 2, 5]);
        // The fifth loudest is heard by nobody.
        assert!((0..10).all(|to| !c.sel.forwards(3, to)));
        assert!(!c.sel.forwards_any(3));
    }

    #[test]
    fn nobody_receives_their_own_audio() {
        let mut c = Check::new();
        c.run(Duration::from_millis(500), &[(1, -20)]);
        assert_eq!(c.selected(), vec![1]);
        assert!(!c.sel.forwards(1, 1));
        assert!(c.sel.forwards(1, 2));
    }

    #[test]
    fn a_slightly_louder_newcomer_does_not_displace_a_selected_talker() {
        let mut c = Check::new();
        let base = [(1, -30), (2, -31), (3, -32)];
        c.run(Duration::from_secs(1), &base);
        assert_eq!(c.selected(), vec![1, 2, 3]);
        // 4 is 2 dB louder than the quietest: within the margin, nothing changes, for as long
        // as it lasts.
        let mut with4 = base.to_vec();
        with4.push((4, -30));
        c.run(Duration::from_secs(2), &with4);
        assert_eq!(c.selected(), vec![1, 2, 3]);
        assert_eq!(c.sel.spare(), Some(4));
        // Clearly louder (10 dB above the quietest): it takes the quietest's place.
        with4[3] = (4, -22);
        c.run(Duration::from_millis(300), &with4);
        assert_eq!(c.selected(), vec![1, 2, 4]);
        assert_eq!(c.sel.spare(), Some(3), "the displaced talker is the spare");
    }

    #[test]
    fn levels_crossing_back_and_forth_within_the_margin_do_not_flap() {
        let mut c = Check::new();
        c.run(Duration::from_secs(1), &[(1, -20), (2, -25), (3, -30)]);
        let mut changes = 0;
        // 3 and 4 take turns being 2 dB louder than each other, every 100 ms, for 5 s.
        for i in 0..50 {
            let (l3, l4) = if i % 2 == 0 { (-32, -30) } else { (-30, -32) };
            for _ in 0..5 {
                c.now += FRAME;
                for (k, l) in [(1, -20), (2, -25), (3, l3), (4, l4)] {
                    c.sel.on_level(k, Some(l), c.now);
                }
                if c.sel.update(c.now) {
                    changes += 1;
                }
            }
        }
        assert_eq!(changes, 1, "only the spare was filled once");
        assert_eq!(c.selected(), vec![1, 2, 3]);
    }

    #[test]
    fn a_source_that_stops_sending_drops_out_after_the_window() {
        let mut c = Check::new();
        c.run(Duration::from_secs(1), &[(1, -20), (2, -25), (3, -30)]);
        // 2 stops: nothing at all for 300 ms — still selected (within the window) …
        c.run(Duration::from_millis(300), &[(1, -20), (3, -30)]);
        assert_eq!(c.selected(), vec![1, 2, 3]);
        // … gone once the window has passed.
        c.run(Duration::from_millis(120), &[(1, -20), (3, -30)]);
        assert_eq!(c.selected(), vec![1, 3]);
        assert!(!c.sel.forwards(2, 9));
    }

    #[test]
    fn dtx_silence_drops_out_and_a_new_talker_takes_the_free_place_at_once() {
        let mut c = Check::new();
        c.run(Duration::from_secs(1), &[(1, -20), (2, -25), (3, -30)]);
        // 3 goes quiet with DTX: one packet at silence level (127) every 400 ms.
        for i in 0..25 {
            c.now += FRAME;
            for (k, l) in [(1, -20), (2, -25)] {
                c.sel.on_level(k, Some(l), c.now);
            }
            if i % 20 == 0 {
                c.sel.on_level(3, Some(127), c.now);
            }
            c.sel.update(c.now);
        }
        assert_eq!(c.selected(), vec![1, 2], "silence is not speaking");
        // 5 starts talking softly: three frames are enough to be selected.
        c.run(FRAME * 3, &[(1, -20), (2, -25), (5, -55)]);
        assert_eq!(c.selected(), vec![1, 2, 5]);
    }

    #[test]
    fn background_noise_and_too_few_packets_are_not_speaking() {
        let mut c = Check::new();
        c.run(Duration::from_secs(1), &[(1, -85)]);
        assert!(c.selected().is_empty(), "-85 dBov is noise");
        c.run(FRAME * 2, &[(2, -20)]);
        assert!(c.selected().is_empty(), "40 ms is not yet speech");
        c.run(FRAME, &[(2, -20)]);
        assert_eq!(c.selected(), vec![2]);
    }

    #[test]
    fn packets_without_a_level_count_as_just_speaking() {
        let mut c = Check::new();
        let mut now = c.now;
        for _ in 0..10 {
            now += FRAME;
            c.sel.on_level(1, None, now);
            c.sel.on_level(2, Some(-20), now);
        }
        c.sel.update(now);
        assert_eq!(c.selected(), vec![1, 2]);
        assert_eq!(c.sel.loudest(), Some(2));
    }

    #[test]
    fn a_removed_source_leaves_the_selection() {
        let mut c = Check::new();
        c.run(
            Duration::from_secs(1),
            &[(1, -20), (2, -25), (3, -30), (4, -35)],
        );
        assert_eq!(c.sel.spare(), Some(4));
        assert!(c.sel.remove(2));
        assert_eq!(c.selected(), vec![1, 3]);
        assert!(c.sel.remove(4));
        assert_eq!(c.sel.spare(), None);
        assert!(!c.sel.remove(7), "unknown source: nothing changes");
        c.run(FRAME, &[(1, -20), (3, -30)]);
        assert_eq!(c.selected(), vec![1, 3]);
    }
}
