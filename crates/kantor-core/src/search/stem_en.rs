//! The Snowball English ("Porter2") stemmer, ported by hand from `algorithms/english.sbl` in
//! <https://github.com/snowballstem/snowball>. See
//! <https://snowballstem.org/algorithms/english/stemmer.html>.
//!
//! **Version:** the algorithm as it stood from 2006 until October 2023 (Snowball 2.0–2.2), which
//! is what Debian's `snowball-data` vocabulary (`0+20210120`) was produced with, so the port is
//! verified against it word for word (`search::tests`). Later upstream revisions (2023–2025:
//! an extra undoubling condition, `-ogist`, more exceptions such as `past`/`paste`) change a
//! few dozen stems; adopting them means re-verifying against a newer vocabulary and
//! re-indexing.
//!
//! The port follows the Snowball program step by step, with its exception lists, the
//! `gener`/`commun`/`arsen` region exceptions and Snowball's "longest suffix first, then test
//! its condition" rule (a failed condition does not fall back to a shorter suffix). It works on
//! characters and expects a lowercase word.

/// Stems one lowercase English word: `searching`, `searches` → `search`.
pub fn stem(word: &str) -> String {
    if let Some(special) = exception1(word) {
        return special.to_owned();
    }
    let mut w: Vec<char> = word.chars().collect();
    if w.len() < 3 {
        return word.to_owned();
    }
    let y_found = prelude(&mut w);
    let (p1, p2) = mark_regions(&w);
    let mut s = Stemmer { w, p1, p2 };
    s.step_1a();
    if !s.exception2() {
        s.step_1b();
        s.step_1c();
        s.step_2();
        s.step_3();
        s.step_4();
        s.step_5();
    }
    if y_found {
        for c in &mut s.w {
            if *c == 'Y' {
                *c = 'y';
            }
        }
    }
    s.w.into_iter().collect()
}

/// Whole words with a fixed stem (or none), checked before anything else.
fn exception1(word: &str) -> Option<&'static str> {
    Some(match word {
        "skis" => "ski",
        "skies" => "sky",
        "dying" => "die",
        "lying" => "lie",
        "tying" => "tie",
        "idly" => "idl",
        "gently" => "gentl",
        "ugly" => "ugli",
        "early" => "earli",
        "only" => "onli",
        "singly" => "singl",
        "sky" => "sky",
        "news" => "news",
        "howe" => "howe",
        "atlas" => "atlas",
        "cosmos" => "cosmos",
        "bias" => "bias",
        "andes" => "andes",
        _ => return None,
    })
}

/// `v`: the vowels, `y` included (a `y` that acts as a consonant was made `Y` by the prelude).
fn is_v(c: char) -> bool {
    matches!(c, 'a' | 'e' | 'i' | 'o' | 'u' | 'y')
}

/// `v_WXY`: vowels plus `w`, `x` and `Y`.
fn is_v_wxy(c: char) -> bool {
    is_v(c) || matches!(c, 'w' | 'x' | 'Y')
}

/// `valid_LI`: letters before which `-li` is removed.
fn is_valid_li(c: char) -> bool {
    matches!(c, 'c' | 'd' | 'e' | 'g' | 'h' | 'k' | 'm' | 'n' | 'r' | 't')
}

/// Drops a leading apostrophe and marks consonant `y` (initial, or after a vowel) as `Y`.
/// Returns whether any `Y` was made, so the postlude knows to turn them back.
fn prelude(w: &mut Vec<char>) -> bool {
    if w.first() == Some(&'\'') {
        w.remove(0);
    }
    let mut y_found = false;
    if w.first() == Some(&'y') {
        w[0] = 'Y';
        y_found = true;
    }
    for i in 1..w.len() {
        if w[i] == 'y' && is_v(w[i - 1]) {
            w[i] = 'Y';
            y_found = true;
        }
    }
    y_found
}

/// Position just after the first non-vowel that follows a vowel, searching from `from`.
fn past_vowel_then_non_vowel(w: &[char], from: usize) -> Option<usize> {
    let vowel = from + w.get(from..)?.iter().position(|c| is_v(*c))?;
    let non_vowel = vowel + 1 + w[vowel + 1..].iter().position(|c| !is_v(*c))?;
    Some(non_vowel + 1)
}

/// R1 and R2 start positions (the word's length when empty).
fn mark_regions(w: &[char]) -> (usize, usize) {
    let len = w.len();
    let starts = |p: &str| w.len() >= p.len() && w.iter().zip(p.chars()).all(|(a, b)| *a == b);
    let p1 = if let Some(p) = ["gener", "commun", "arsen"].into_iter().find(|p| starts(p)) {
        Some(p.len())
    } else {
        past_vowel_then_non_vowel(w, 0)
    };
    match p1 {
        Some(p1) => (p1, past_vowel_then_non_vowel(w, p1).unwrap_or(len)),
        None => (len, len),
    }
}

/// `shortv` at `end`: the word `w[..end]` ends in a short syllable — non-vowel, vowel,
/// non-vowel other than `w`, `x`, `Y`; or vowel, non-vowel at the very start.
fn ends_short_syllable(w: &[char], end: usize) -> bool {
    (end >= 3 && !is_v_wxy(w[end - 1]) && is_v(w[end - 2]) && !is_v(w[end - 3]))
        || (end == 2 && !is_v(w[1]) && is_v(w[0]))
}

struct Stemmer {
    w: Vec<char>,
    p1: usize,
    p2: usize,
}

impl Stemmer {
    /// The longest of `suffixes` the word ends with, with the index where it starts.
    fn longest<'s>(&self, suffixes: &[&'s str]) -> Option<(&'s str, usize)> {
        suffixes
            .iter()
            .filter(|s| self.ends_with(s))
            .max_by_key(|s| s.len())
            .map(|s| (*s, self.w.len() - s.chars().count()))
    }

    fn ends_with(&self, suffix: &str) -> bool {
        let n = suffix.chars().count();
        self.w.len() >= n
            && self.w[self.w.len() - n..]
                .iter()
                .copied()
                .eq(suffix.chars())
    }

    fn replace_from(&mut self, start: usize, with: &str) {
        self.w.truncate(start);
        self.w.extend(with.chars());
    }

    fn char_before(&self, at: usize) -> Option<char> {
        at.checked_sub(1).map(|i| self.w[i])
    }

    /// Apostrophe endings, then plurals: `sses` → `ss`, `ied`/`ies` → `i` or `ie`, `s` dropped
    /// after a syllable; `us`, `ss` stay.
    fn step_1a(&mut self) {
        if let Some((_, start)) = self.longest(&["'", "'s", "'s'"]) {
            self.w.truncate(start);
        }
        match self.longest(&["sses", "ied", "ies", "s", "us", "ss"]) {
            Some(("sses", start)) => self.replace_from(start, "ss"),
            Some(("ied" | "ies", start)) => {
                self.replace_from(start, if start >= 2 { "i" } else { "ie" })
            }
            // `next gopast v`: a vowel somewhere before the letter preceding the `s`.
            Some(("s", start)) if start >= 1 && self.w[..start - 1].iter().any(|c| is_v(*c)) => {
                self.w.truncate(start);
            }
            _ => {}
        }
    }

    /// Words left as they are after step 1a.
    fn exception2(&self) -> bool {
        let word: String = self.w.iter().collect();
        matches!(
            word.as_str(),
            "inning"
                | "outing"
                | "canning"
                | "herring"
                | "earring"
                | "proceed"
                | "exceed"
                | "succeed"
        )
    }

    /// `eed(ly)` → `ee` in R1; `ed`, `edly`, `ing`, `ingly` removed after a vowel, then tidied.
    fn step_1b(&mut self) {
        match self.longest(&["eed", "eedly", "ed", "edly", "ing", "ingly"]) {
            Some(("eed" | "eedly", start)) if start >= self.p1 => self.replace_from(start, "ee"),
            // Outside R1 `eed` stays: a failed condition does not fall back to `ed`.
            Some(("eed" | "eedly", _)) => {}
            Some((_, start)) => {
                if !self.w[..start].iter().any(|c| is_v(*c)) {
                    return;
                }
                self.w.truncate(start);
                let doubles = ["bb", "dd", "ff", "gg", "mm", "nn", "pp", "rr", "tt"];
                if ["at", "bl", "iz"].iter().any(|s| self.ends_with(s)) {
                    self.w.push('e');
                } else if doubles.iter().any(|s| self.ends_with(s)) {
                    self.w.pop();
                } else if self.w.len() == self.p1 && ends_short_syllable(&self.w, self.w.len()) {
                    self.w.push('e');
                }
            }
            None => {}
        }
    }

    /// Final `y`/`Y` → `i` after a non-vowel that is not the first letter.
    fn step_1c(&mut self) {
        let n = self.w.len();
        if n >= 3 && matches!(self.w[n - 1], 'y' | 'Y') && !is_v(self.w[n - 2]) {
            self.w[n - 1] = 'i';
        }
    }

    /// Derivational suffixes in R1.
    fn step_2(&mut self) {
        const RULES: [(&str, &str); 24] = [
            ("tional", "tion"),
            ("enci", "ence"),
            ("anci", "ance"),
            ("abli", "able"),
            ("entli", "ent"),
            ("izer", "ize"),
            ("ization", "ize"),
            ("ational", "ate"),
            ("ation", "ate"),
            ("ator", "ate"),
            ("alism", "al"),
            ("aliti", "al"),
            ("alli", "al"),
            ("fulness", "ful"),
            ("ousli", "ous"),
            ("ousness", "ous"),
            ("iveness", "ive"),
            ("iviti", "ive"),
            ("biliti", "ble"),
            ("bli", "ble"),
            ("ogi", "og"),
            ("fulli", "ful"),
            ("lessli", "less"),
            ("li", ""),
        ];
        let suffixes = RULES.map(|(s, _)| s);
        let Some((suffix, start)) = self.longest(&suffixes) else {
            return;
        };
        if start < self.p1 {
            return;
        }
        let ok = match suffix {
            "ogi" => self.char_before(start) == Some('l'),
            "li" => self.char_before(start).is_some_and(is_valid_li),
            _ => true,
        };
        if ok {
            let with = RULES
                .iter()
                .find(|(s, _)| *s == suffix)
                .map_or("", |(_, r)| r);
            self.replace_from(start, with);
        }
    }

    /// More derivational suffixes in R1 (`ative` in R2).
    fn step_3(&mut self) {
        const RULES: [(&str, &str); 9] = [
            ("tional", "tion"),
            ("ational", "ate"),
            ("alize", "al"),
            ("icate", "ic"),
            ("iciti", "ic"),
            ("ical", "ic"),
            ("ful", ""),
            ("ness", ""),
            ("ative", ""),
        ];
        let suffixes = RULES.map(|(s, _)| s);
        let Some((suffix, start)) = self.longest(&suffixes) else {
            return;
        };
        if start < self.p1 || (suffix == "ative" && start < self.p2) {
            return;
        }
        let with = RULES
            .iter()
            .find(|(s, _)| *s == suffix)
            .map_or("", |(_, r)| r);
        self.replace_from(start, with);
    }

    /// Suffixes removed in R2 (`ion` only after `s` or `t`).
    fn step_4(&mut self) {
        const SUFFIXES: [&str; 18] = [
            "al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment", "ent", "ism",
            "ate", "iti", "ous", "ive", "ize", "ion",
        ];
        let Some((suffix, start)) = self.longest(&SUFFIXES) else {
            return;
        };
        if start < self.p2 {
            return;
        }
        if suffix != "ion" || matches!(self.char_before(start), Some('s' | 't')) {
            self.w.truncate(start);
        }
    }

    /// Final `e` (in R2, or in R1 after no short syllable) and `ll` → `l` in R2.
    fn step_5(&mut self) {
        let n = self.w.len();
        match self.w.last() {
            Some('e') => {
                let start = n - 1;
                if start >= self.p2 || (start >= self.p1 && !ends_short_syllable(&self.w, start)) {
                    self.w.truncate(start);
                }
            }
            Some('l') => {
                let start = n - 1;
                if start >= self.p2 && self.char_before(start) == Some('l') {
                    self.w.truncate(start);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::stem;

    fn check(word: &str, expect: &str) {
        assert_eq!(stem(word), expect, "stem({word:?})");
    }

    #[test]
    fn inflections_meet_the_stem() {
        check("searching", "search");
        check("searches", "search");
        check("searched", "search");
        check("meetings", "meet");
        check("generously", "generous");
        check("hoped", "hope");
        check("cries", "cri");
        check("ties", "tie");
        check("skies", "sky");
        check("succeed", "succeed");
        check("user's", "user");
        check("yelled", "yell");
    }
}
