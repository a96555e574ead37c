//! Text analysis: turning a message body (or a file name) into words, and words into the index
//! terms stored in the search table.
//!
//! **Words.** Text is lowercased (Unicode) and Latin diacritics are folded with a small table
//! (`é` → `e`, `ß` → `ss`), so `Café` and `cafe` meet. A word is a run of letters and digits;
//! an apostrophe (`'` or `’`) between two of them is dropped and the word goes on, so `don't`
//! meets `dont` and `Jum'at` meets `Jumat` (Indonesians write both). Words longer than
//! [`MAX_WORD_CHARS`] are dropped: they are hashes, tokens or glued text nobody types. Scripts
//! written without spaces are not segmented (a run of CJK becomes one word).
//!
//! **Markup.** Mentions (`<@uuid>`) and channel references (`<#uuid>`) are skipped: ids are
//! not words, and mentions are found through the mention table ([`crate::chat::mentions`]). A URL
//! (`https://…`, `http://…`, `www.…`) yields only the words of its host, minus `www`
//! (`https://docs.kantor.co.id/x/9f8e` → `docs`, `kantor`, `co`, `id`): people look for a link
//! by its site, while paths are mostly opaque ids that would only add noise.
//!
//! **Terms.** We do not know a message's language (teams mix Bahasa Indonesia and English in
//! one sentence), so each word is indexed under three terms, deduplicated: its Indonesian
//! stem ([`stem_id`]), its English stem ([`stem_en`]) and its surface form. A query word is
//! looked up by its two stems only ([`query_terms`]), so `mencari`, `pencarian` and `dicari`
//! meet `cari`, and `searching`/`searches` meet `search`. Running the "wrong" stemmer costs
//! little: each stemmer leaves most words of the other language alone, and a rare cross-language
//! collision only adds a result. The surface form keeps a word's own spelling in the index
//! for prefix search on the word still being typed (`meeti…` finds `meetings`, whose stems are
//! `meet` and, from the Indonesian stemmer, `etings`). It rarely costs a row: for most words
//! one of the two stemmers leaves the word as it is, so the surface form is already there. No
//! stop words are dropped: the table holds one row per distinct term per message, so common
//! words cost one row each, and a query for `di` or `the` still means what it says.

use super::{stem_en, stem_id};

/// Longer words are not indexed.
pub const MAX_WORD_CHARS: usize = 40;
/// At most this many terms are indexed per message (the first ones win). A message is at most
/// 8,000 characters, so this only trims very long, varied messages.
pub const MAX_TERMS_PER_MESSAGE: usize = 500;

/// One word of a text: normalised (lowercase, folded, apostrophes dropped) with its place in
/// the text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub text: String,
    /// Byte offset of the word's first character in the analysed text.
    pub start: usize,
    /// Byte offset just after the word's last character.
    pub end: usize,
}

/// The words of `text`, in order, with their byte ranges.
pub fn tokens(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(c) = text[i..].chars().next() {
        let rest = &text[i..];
        let after_word = text[..i]
            .chars()
            .next_back()
            .is_some_and(char::is_alphanumeric);
        if let Some(len) = markup_len(rest) {
            i += len;
        } else if let Some(len) = url_len(rest).filter(|_| !after_word) {
            host_tokens(&text[i..i + len], i, &mut out);
            i += len;
        } else if c.is_alphanumeric() {
            let end = word_end(text, i);
            push_word(text, i..end, 0, &mut out);
            i = end;
        } else {
            i += c.len_utf8();
        }
    }
    out
}

/// The index terms of a text: for each word its surface form, Indonesian stem and English
/// stem, deduplicated, in order of first appearance, at most [`MAX_TERMS_PER_MESSAGE`].
pub fn index_terms(text: &str) -> Vec<String> {
    let mut terms: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for token in tokens(text) {
        for term in word_terms(&token.text) {
            if terms.len() == MAX_TERMS_PER_MESSAGE {
                return terms;
            }
            if seen.insert(term.clone()) {
                terms.push(term);
            }
        }
    }
    terms
}

/// The terms to look a query word up by: its Indonesian and English stems, deduplicated. Any
/// one of them meeting an index term is a match. Pass one word as the query parser splits it;
/// a text of several words gives the terms of all of them.
pub fn query_terms(word: &str) -> Vec<String> {
    let mut terms: Vec<String> = Vec::new();
    for token in tokens(word) {
        for term in stems(&token.text) {
            if !terms.contains(&term) {
                terms.push(term);
            }
        }
    }
    terms
}

/// The index terms of one normalised word: surface form first, then its stems.
pub(crate) fn word_terms(word: &str) -> Vec<String> {
    let mut terms = vec![word.to_owned()];
    for stem in stems(word) {
        if !terms.contains(&stem) {
            terms.push(stem);
        }
    }
    terms
}

/// The Indonesian and English stems of a normalised word (one if they agree). Words without
/// letters (numbers) are their own stem.
fn stems(word: &str) -> Vec<String> {
    if !word.chars().any(char::is_alphabetic) {
        return vec![word.to_owned()];
    }
    let id = stem_id::stem(word);
    let en = stem_en::stem(word);
    if id == en {
        vec![id]
    } else {
        vec![id, en]
    }
}

/// Length of a `<@…>` or `<#…>` reference at the start of `rest` (no spaces inside).
fn markup_len(rest: &str) -> Option<usize> {
    if !(rest.starts_with("<@") || rest.starts_with("<#")) {
        return None;
    }
    // Up to the first whitespace: a reference has none, and this keeps a body full of `<@`
    // from being scanned to its end again and again.
    let word = &rest[..rest.find(char::is_whitespace).unwrap_or(rest.len())];
    let close = word.find('>')?;
    (close > 2).then_some(close + 1)
}

/// Length of a URL at the start of `rest`: up to the next whitespace, without the closing
/// punctuation a sentence or markup puts after it.
fn url_len(rest: &str) -> Option<usize> {
    let starts = |prefix: &str| {
        rest.get(..prefix.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
    };
    if !["http://", "https://", "www."].into_iter().any(starts) {
        return None;
    }
    let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    Some(
        rest[..end]
            .trim_end_matches(['.', ',', ';', ':', '!', '?', ')', '>', '"', '\''])
            .len(),
    )
}

/// The words of a URL's host (without `www`), with byte ranges offset by `at`, the URL's
/// place in the text.
fn host_tokens(url: &str, at: usize, out: &mut Vec<Token>) {
    let host_start = url.find("://").map_or(0, |i| i + 3);
    let host_and_more = &url[host_start..];
    let host_end = host_and_more
        .find(['/', '?', '#'])
        .unwrap_or(host_and_more.len());
    let mut host = &host_and_more[..host_end];
    let mut host_at = at + host_start;
    if let Some(user) = host.rfind('@') {
        host = &host[user + 1..];
        host_at += user + 1;
    }
    let host = host.split(':').next().unwrap_or_default();
    // Labels are split by hand rather than through `tokens`, which would see `www.` again.
    let mut label_start = None;
    for (offset, c) in host.char_indices().chain([(host.len(), '.')]) {
        if c.is_alphanumeric() {
            label_start.get_or_insert(offset);
        } else if let Some(start) = label_start.take() {
            if !host[start..offset].eq_ignore_ascii_case("www") {
                push_word(host, start..offset, host_at, out);
            }
        }
    }
}

/// Byte offset where the word starting at `start` ends: letters and digits, and apostrophes
/// between them.
fn word_end(text: &str, start: usize) -> usize {
    let mut end = start;
    let mut chars = text[start..].char_indices().peekable();
    while let Some((offset, c)) = chars.next() {
        if c.is_alphanumeric() {
            end = start + offset + c.len_utf8();
        } else if is_apostrophe(c) && chars.peek().is_some_and(|(_, next)| next.is_alphanumeric()) {
            continue;
        } else {
            break;
        }
    }
    end
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '’')
}

/// Normalises the word `text[range]` and keeps it, unless it is too long, with its range
/// moved by `at` (where `text` sits in the analysed text).
fn push_word(text: &str, range: std::ops::Range<usize>, at: usize, out: &mut Vec<Token>) {
    let word = normalise(&text[range.clone()]);
    if !word.is_empty() && word.chars().count() <= MAX_WORD_CHARS {
        out.push(Token {
            text: word,
            start: at + range.start,
            end: at + range.end,
        });
    }
}

/// Lowercases, folds diacritics and drops apostrophes.
pub(crate) fn normalise(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    for c in word
        .chars()
        .filter(|c| !is_apostrophe(*c))
        .flat_map(char::to_lowercase)
    {
        match fold(c) {
            Some(plain) => out.push_str(plain),
            None => out.push(c),
        }
    }
    out
}

/// The plain Latin letters of a lowercase letter with a diacritic, for the letters of the
/// languages our users write names and loan words in.
fn fold(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
        'ç' | 'ć' | 'č' => "c",
        'ď' | 'đ' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => "e",
        'ğ' => "g",
        'ì' | 'í' | 'î' | 'ï' | 'ī' | 'į' | 'ı' => "i",
        'ł' => "l",
        'ñ' | 'ń' | 'ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => "o",
        'ř' => "r",
        'ś' | 'š' | 'ş' => "s",
        'ť' | 'ţ' => "t",
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' | 'ų' => "u",
        'ý' | 'ÿ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        'ß' => "ss",
        'æ' => "ae",
        'œ' => "oe",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The words of `text`, as `word@start..end`, space-separated.
    fn check_tokens(text: &str, expect: &str) {
        let got: Vec<String> = tokens(text)
            .iter()
            .map(|t| format!("{}@{}..{}", t.text, t.start, t.end))
            .collect();
        assert_eq!(got.join(" "), expect, "tokens({text:?})");
    }

    /// Whether the index terms of `text` meet the query terms of `word`.
    fn check_meets(text: &str, word: &str, expect: bool) {
        let index = index_terms(text);
        let query = query_terms(word);
        let meets = query.iter().any(|q| index.contains(q));
        assert_eq!(meets, expect, "index {index:?} vs query {query:?}");
    }

    #[test]
    fn indonesian_affixes_meet() {
        for text in [
            "mencari",
            "pencarian",
            "dicari",
            "mencarikan",
            "cari",
            "Carilah",
        ] {
            for word in ["cari", "mencari", "pencarian", "dicari"] {
                check_meets(text, word, true);
            }
        }
        for text in ["bekerja", "pekerjaan", "dikerjakan", "kerjanya"] {
            check_meets(text, "kerja", true);
        }
        check_meets("pekerjaan", "bekerja", true);
        check_meets("rapat besok", "kerja", false);
    }

    #[test]
    fn english_inflections_meet() {
        for text in ["searching", "searches", "searched", "Search"] {
            check_meets(text, "search", true);
            check_meets(text, "searching", true);
        }
        check_meets("the meetings ran late", "meeting", true);
    }

    #[test]
    fn case_and_diacritics_fold() {
        check_meets("Rapat jam 10", "rapat", true);
        check_meets("rapat jam 10", "RAPAT", true);
        check_meets("Ngopi di café", "cafe", true);
        check_meets("Straße", "strasse", true);
        check_tokens("Ünïcödé ÉCOLE", "unicode@0..11 ecole@12..18");
    }

    #[test]
    fn words_split_on_punctuation_and_keep_inner_apostrophes() {
        check_tokens(
            "rapat,jam-10:30!",
            "rapat@0..5 jam@6..9 10@10..12 30@13..15",
        );
        check_tokens("Jum'at don’t 'kutip'", "jumat@0..6 dont@7..14 kutip@16..21");
        check_tokens("file_name.pdf", "file@0..4 name@5..9 pdf@10..13");
        check_meets("Sholat Jum'at", "jumat", true);
    }

    #[test]
    fn long_words_are_dropped() {
        let long = "a".repeat(41);
        check_tokens(&format!("ok {long} ya"), "ok@0..2 ya@45..47");
        check_tokens(&"b".repeat(40), &format!("{}@0..40", "b".repeat(40)));
    }

    #[test]
    fn mentions_are_skipped() {
        let id = "0190a8b2-7c1d-7e3f-9a4b-5c6d7e8f9a0b";
        check_tokens(&format!("hai <@{id}>, cek <#{id}>"), "hai@0..3 cek@45..48");
        check_meets(&format!("<@{id}>"), "7e3f", false);
        check_tokens("a <b> <@ x>", "a@0..1 b@3..4 x@9..10");
    }

    #[test]
    fn urls_yield_host_words() {
        check_tokens(
            "lihat https://docs.kantor.co.id/x/9f8e?q=1 ya",
            "lihat@0..5 docs@14..18 kantor@19..25 co@26..28 id@29..31 ya@43..45",
        );
        check_tokens("(www.Example.com/abc).", "example@5..12 com@13..16");
        check_tokens("http://user@host.net:8080/p", "host@12..16 net@17..20");
        check_tokens("nothttp://x.y", "nothttp@0..7 x@10..11 y@12..13");
    }

    #[test]
    fn index_terms_are_deduplicated_and_bounded() {
        assert_eq!(index_terms("Mencari mencari"), ["mencari", "cari"]);
        assert_eq!(index_terms("searching"), ["searching", "search"]);
        assert_eq!(index_terms("2026"), ["2026"]);
        let many: String = (0..1_000).map(|n| format!("w{n} ")).collect();
        assert_eq!(index_terms(&many).len(), MAX_TERMS_PER_MESSAGE);
    }

    #[test]
    fn query_terms_are_the_stems() {
        assert_eq!(query_terms("Pencarian"), ["cari", "pencarian"]);
        assert_eq!(query_terms("rapat"), ["rapat"]);
        assert_eq!(query_terms("!!!"), Vec::<String>::new());
    }
}
