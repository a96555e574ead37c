//! Result snippets: a short piece of a message around its first match, with the matching words
//! marked.
//!
//! A body word is marked when any of its index terms (surface form or stems, as indexed) is
//! one of the query's terms ([`super::Query::highlight_terms`]), so `pencarian` in a message is
//! marked for the query `mencari`. Whitespace runs (newlines included) become one space, since
//! a result list shows one line. A body longer than [`SNIPPET_CHARS`] is cut to that many
//! characters, starting about [`CONTEXT_BEFORE_CHARS`] before the first match and moved to the
//! nearest space when one is close, with `…` where text was cut.
//!
//! Marks are **byte** ranges into [`Snippet::text`] (always on character boundaries). The
//! browser counts UTF-16 units, so the server should not send these offsets as they are but
//! [`Snippet::segments`]: the text in pieces, each marked or not.

use std::collections::HashSet;
use std::ops::Range;

use super::analyse::{tokens, word_terms};

/// Longest snippet, in characters, not counting the `…` marks.
pub const SNIPPET_CHARS: usize = 160;
/// Context kept before the first match, in characters.
pub const CONTEXT_BEFORE_CHARS: usize = 40;
/// How far a cut may move to fall on a space, in characters.
const SNAP_CHARS: usize = 15;
/// Put where text was cut.
const ELLIPSIS: &str = "…";

/// A piece of a message to show in a result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snippet {
    pub text: String,
    /// Byte ranges of matching words in `text`, in order.
    pub marks: Vec<Range<usize>>,
}

impl Snippet {
    /// The text in consecutive pieces, each with whether it is a match.
    pub fn segments(&self) -> Vec<(&str, bool)> {
        let mut out = Vec::new();
        let mut at = 0;
        for mark in &self.marks {
            if mark.start > at {
                out.push((&self.text[at..mark.start], false));
            }
            out.push((&self.text[mark.clone()], true));
            at = mark.end;
        }
        if at < self.text.len() {
            out.push((&self.text[at..], false));
        }
        out
    }
}

/// The snippet of `body` for a query whose index terms are `terms`.
pub fn highlight(body: &str, terms: &[String]) -> Snippet {
    let flat = body.split_whitespace().collect::<Vec<_>>().join(" ");
    let wanted: HashSet<&str> = terms.iter().map(String::as_str).collect();
    let matches: Vec<Range<usize>> = tokens(&flat)
        .into_iter()
        .filter(|token| {
            word_terms(&token.text)
                .iter()
                .any(|t| wanted.contains(t.as_str()))
        })
        .map(|token| token.start..token.end)
        .collect();

    let chars: Vec<(usize, char)> = flat.char_indices().collect();
    let len = chars.len();
    if len <= SNIPPET_CHARS {
        return Snippet {
            text: flat,
            marks: matches,
        };
    }
    let char_index = |byte: usize| chars.partition_point(|(b, _)| *b < byte);
    let (first, first_end) = matches
        .first()
        .map_or((0, 0), |m| (char_index(m.start), char_index(m.end)));

    let mut start = first.saturating_sub(CONTEXT_BEFORE_CHARS);
    let mut end = (start + SNIPPET_CHARS).min(len);
    start = end.saturating_sub(SNIPPET_CHARS);
    let is_space = |i: usize| chars[i].1 == ' ';
    if start > 0 {
        if let Some(space) = (start..(start + SNAP_CHARS).min(first)).find(|i| is_space(*i)) {
            start = space + 1;
        }
    }
    if end < len {
        let earliest = end.saturating_sub(SNAP_CHARS).max(first_end);
        if let Some(space) = (earliest..end).rev().find(|i| is_space(*i)) {
            end = space;
        }
    }

    let byte = |i: usize| chars.get(i).map_or(flat.len(), |(b, _)| *b);
    let (start_byte, end_byte) = (byte(start), byte(end));
    let mut text = String::with_capacity(end_byte - start_byte + 2 * ELLIPSIS.len());
    if start > 0 {
        text.push_str(ELLIPSIS);
    }
    let shift = text.len();
    text.push_str(&flat[start_byte..end_byte]);
    if end < len {
        text.push_str(ELLIPSIS);
    }
    let marks = matches
        .into_iter()
        .filter(|m| m.start >= start_byte && m.end <= end_byte)
        .map(|m| m.start - start_byte + shift..m.end - start_byte + shift)
        .collect();
    Snippet { text, marks }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::query;

    /// The snippet of `body` for `query`, with marked words in `[brackets]`.
    fn check(body: &str, query: &str, expect: &str) {
        let terms = query::parse(query)
            .expect("a valid query")
            .highlight_terms();
        let snippet = highlight(body, &terms);
        let rendered: String = snippet
            .segments()
            .into_iter()
            .map(|(text, marked)| {
                if marked {
                    format!("[{text}]")
                } else {
                    text.to_owned()
                }
            })
            .collect();
        assert_eq!(rendered, expect, "highlight({body:?}, {query:?})");
    }

    #[test]
    fn short_bodies_are_whole() {
        check("Besok rapat\n\njam 9", "rapat", "Besok [rapat] jam 9");
        check(
            "Pencarian data dicari",
            "mencari",
            "[Pencarian] data [dicari]",
        );
        check(
            "Kopi ☕ di café Ünïcode",
            "cafe unicode",
            "Kopi ☕ di [café] [Ünïcode]",
        );
        check("no match here", "rapat", "no match here");
        check("", "rapat", "");
        check(
            "searching for searches",
            "search",
            "[searching] for [searches]",
        );
    }

    #[test]
    fn long_bodies_are_cut_around_the_first_match() {
        let before = "kata ".repeat(30);
        let after = "lagi ".repeat(40);
        let body = format!("{before}Rapat ☕ penting {after}");
        let expected = format!(
            "…{}[Rapat] ☕ penting {}…",
            "kata ".repeat(7),
            "lagi ".repeat(20).trim_end()
        );
        check(&body, "rapat", &expected);
        let snippet = highlight(&body, &["rapat".to_owned()]);
        assert!(snippet.text.chars().count() <= SNIPPET_CHARS + 2);
        let mark = snippet.marks[0].clone();
        assert_eq!(&snippet.text[mark], "Rapat");
    }

    #[test]
    fn cuts_fill_the_window_near_the_end_and_start() {
        let body = format!("{}akhir rapat", "é".repeat(300));
        let snippet = highlight(&body, &["rapat".to_owned()]);
        assert_eq!(snippet.text.chars().count(), SNIPPET_CHARS + 1);
        assert!(snippet.text.starts_with("…é"));
        assert!(snippet.text.ends_with("akhir rapat"));
        let body = format!("rapat {}", "ü".repeat(300));
        let snippet = highlight(&body, &["rapat".to_owned()]);
        assert_eq!(snippet.marks.len(), 1);
        assert_eq!(snippet.marks[0], 0..5);
        assert!(snippet.text.ends_with("ü…"));
    }

    #[test]
    fn no_match_starts_at_the_beginning() {
        let body = "satu dua ".repeat(40);
        let snippet = highlight(&body, &["tiga".to_owned()]);
        assert!(snippet.text.starts_with("satu dua"));
        assert!(snippet.text.ends_with('…'));
        assert!(snippet.marks.is_empty());
    }
}
