//! The Snowball Indonesian stemmer, ported by hand from `algorithms/indonesian.sbl` in
//! <https://github.com/snowballstem/snowball> (an implementation of Tala's "Porter stemmer for
//! Bahasa Indonesia", 2003). See <https://snowballstem.org/algorithms/indonesian/stemmer.html>.
//!
//! The port follows the Snowball program step by step rather than the paper, including its
//! documented deviations (`kan` is not removed after the prefixes `ke`/`peng`/`per`; `i` is not
//! removed from words ending `-si`; `pelajar`/`belajar` give `ajar`). Two details of Snowball's
//! execution model matter and are kept on purpose:
//!
//! - a step that has already changed the word is not undone when a later condition fails;
//! - after a first-order prefix the second-order prefix is only removed when a suffix was, and
//!   when `mem`/`pem` + vowel became `p` (or `meny`/`peny` + vowel became `s`) the cursor sits
//!   *after* the new letter, so the suffix region and the second-order prefix start there.
//!
//! The stemmer works on characters, expects a lowercase word, and is verified word for word
//! against Snowball's own vocabulary in `search::tests`.

/// Stems one lowercase Indonesian word: `mencari`, `pencarian`, `dicari` → `cari`.
pub fn stem(word: &str) -> String {
    let mut w: Vec<char> = word.chars().collect();
    stem_chars(&mut w);
    w.into_iter().collect()
}

/// The vowels of the algorithm; the paper's "measure" is the number of them in the word.
fn is_vowel(c: char) -> bool {
    matches!(c, 'a' | 'e' | 'i' | 'o' | 'u')
}

/// The kind of prefix removed, which decides the suffixes that may then go (the `prefix`
/// integer of the Snowball program).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Prefix {
    /// None, or one that does not restrict suffixes.
    Other,
    /// `di`, `meng` (and its variants `men`, `me`, `meny`, `mem`) or `ter`.
    DiMengTer,
    /// `per` (and `pe`).
    Per,
    /// `ke` or `peng` (and its variants).
    KePeng,
    /// `ber` (and `be`).
    Ber,
}

/// The word being stemmed and the counters of the Snowball program.
struct Stemmer<'w> {
    word: &'w mut Vec<char>,
    measure: usize,
    prefix: Prefix,
}

fn stem_chars(word: &mut Vec<char>) {
    let measure = word.iter().filter(|c| is_vowel(**c)).count();
    let mut s = Stemmer {
        word,
        measure,
        prefix: Prefix::Other,
    };
    if s.measure <= 2 {
        return;
    }
    s.remove_particle();
    if s.measure <= 2 {
        return;
    }
    s.remove_possessive_pronoun();
    if s.measure <= 2 {
        return;
    }
    if let Some(cursor) = s.remove_first_order_prefix() {
        // `do ( test ($measure > 2 backwards remove_suffix) $measure > 2
        // remove_second_order_prefix )`: the second-order prefix only goes if a suffix went.
        let suffix_removed = s.measure > 2 && s.remove_suffix(cursor);
        if suffix_removed && s.measure > 2 {
            s.remove_second_order_prefix(cursor);
        }
    } else {
        // `do remove_second_order_prefix do (...)`: `do` puts the cursor back at the start, so
        // here the suffix region is the whole word.
        s.remove_second_order_prefix(0);
        if s.measure > 2 {
            s.remove_suffix(0);
        }
    }
}

impl Stemmer<'_> {
    fn ends_with(&self, suffix: &str) -> bool {
        let n = suffix.chars().count();
        self.word.len() >= n
            && self.word[self.word.len() - n..]
                .iter()
                .copied()
                .eq(suffix.chars())
    }

    fn starts_with_at(&self, at: usize, prefix: &str) -> bool {
        let n = prefix.chars().count();
        self.word.len() >= at + n && self.word[at..at + n].iter().copied().eq(prefix.chars())
    }

    fn vowel_at(&self, at: usize) -> bool {
        self.word.get(at).is_some_and(|c| is_vowel(*c))
    }

    fn truncate_by(&mut self, n: usize) {
        let len = self.word.len() - n;
        self.word.truncate(len);
        self.measure = self.measure.saturating_sub(1);
    }

    /// `-kah`, `-lah`, `-pun`.
    fn remove_particle(&mut self) {
        if ["kah", "lah", "pun"].iter().any(|p| self.ends_with(p)) {
            self.truncate_by(3);
        }
    }

    /// `-ku`, `-mu`, `-nya`.
    fn remove_possessive_pronoun(&mut self) {
        if self.ends_with("nya") {
            self.truncate_by(3);
        } else if self.ends_with("ku") || self.ends_with("mu") {
            self.truncate_by(2);
        }
    }

    /// `-kan`, `-an`, `-i`, looked for in `word[start..]`. As in Snowball's `among`, when the
    /// condition of the longest suffix fails the next shorter one is tried (`kan` → `an`).
    /// Returns whether a suffix was removed.
    fn remove_suffix(&mut self, start: usize) -> bool {
        let len = self.word.len();
        let room = len.saturating_sub(start);
        if room >= 3
            && self.ends_with("kan")
            && !matches!(self.prefix, Prefix::KePeng | Prefix::Per)
        {
            self.truncate_by(3);
        } else if room >= 2 && self.ends_with("an") && self.prefix != Prefix::DiMengTer {
            self.truncate_by(2);
        } else if room >= 1
            && self.ends_with("i")
            && matches!(self.prefix, Prefix::Other | Prefix::DiMengTer | Prefix::Per)
            // Not `-si`: protects loan words such as "televisi", "organisasi".
            && !(len - 1 > start && self.word[len - 2] == 's')
        {
            self.truncate_by(1);
        } else {
            return false;
        }
        true
    }

    /// Replaces `word[at..at + len]` with `with`; returns the cursor after the replacement.
    fn replace_prefix(&mut self, at: usize, len: usize, with: &str) -> usize {
        let new: Vec<char> = with.chars().collect();
        let cursor = at + new.len();
        self.word.splice(at..at + len, new);
        self.measure = self.measure.saturating_sub(1);
        cursor
    }

    /// `di-`, `ke-`, `me(ng)-`, `pe(ng)-`, `ter-` and their variants. Returns the cursor after
    /// the removal, or `None` when there was no such prefix.
    fn remove_first_order_prefix(&mut self) -> Option<usize> {
        use Prefix::{DiMengTer, KePeng};
        let (len, prefix, with) = if self.starts_with_at(0, "meng") {
            (4, DiMengTer, "")
        } else if self.starts_with_at(0, "meny") && self.vowel_at(4) {
            (4, DiMengTer, "s")
        } else if self.starts_with_at(0, "peng") {
            (4, KePeng, "")
        } else if self.starts_with_at(0, "peny") && self.vowel_at(4) {
            (4, KePeng, "s")
        } else if self.starts_with_at(0, "men") {
            (3, DiMengTer, "")
        } else if self.starts_with_at(0, "mem") {
            (3, DiMengTer, if self.vowel_at(3) { "p" } else { "" })
        } else if self.starts_with_at(0, "pen") {
            (3, KePeng, "")
        } else if self.starts_with_at(0, "pem") {
            (3, KePeng, if self.vowel_at(3) { "p" } else { "" })
        } else if self.starts_with_at(0, "ter") {
            (3, DiMengTer, "")
        } else if self.starts_with_at(0, "me") || self.starts_with_at(0, "di") {
            (2, DiMengTer, "")
        } else if self.starts_with_at(0, "ke") {
            (2, KePeng, "")
        } else {
            return None;
        };
        self.prefix = prefix;
        Some(self.replace_prefix(0, len, with))
    }

    /// `per-`, `pe-`, `ber-`, `be-` (before consonant + `er`) and the special cases
    /// `pelajar`/`belajar` → `ajar`, looked for at `at`. Returns the cursor after the removal.
    fn remove_second_order_prefix(&mut self, at: usize) -> Option<usize> {
        use Prefix::{Ber, Per};
        let (len, prefix, with) = if self.starts_with_at(at, "pelajar") {
            // Snowball leaves `prefix` unchanged here.
            (7, self.prefix, "ajar")
        } else if self.starts_with_at(at, "belajar") {
            (7, Ber, "ajar")
        } else if self.starts_with_at(at, "per") {
            (3, Per, "")
        } else if self.starts_with_at(at, "ber") {
            (3, Ber, "")
        } else if self.starts_with_at(at, "pe") {
            (2, Per, "")
        } else if self.starts_with_at(at, "be")
            && self.word.get(at + 2).is_some_and(|c| !is_vowel(*c))
            && self.starts_with_at(at + 3, "er")
        {
            (2, Ber, "")
        } else {
            return None;
        };
        self.prefix = prefix;
        Some(self.replace_prefix(at, len, with))
    }
}

#[cfg(test)]
mod tests {
    use super::stem;

    fn check(word: &str, expect: &str) {
        assert_eq!(stem(word), expect, "stem({word:?})");
    }

    #[test]
    fn affixes_meet_the_root() {
        check("mencari", "cari");
        check("pencarian", "cari");
        check("dicari", "cari");
        check("mencarikan", "cari");
        check("bekerja", "kerja");
        check("pekerjaan", "kerja");
        check("pelajaran", "ajar");
        check("menyapu", "sapu");
        check("memukul", "pukul");
        check("televisi", "televisi");
        check("rumahnya", "rumah");
        check("apakah", "apa");
    }
}
