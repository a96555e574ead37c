//! Both stemmers against Snowball's own test vocabularies.
//!
//! The vocabularies come from the Debian package `snowball-data` (`apt-get install
//! snowball-data`): `voc.txt` holds one input word a line and `output.txt` the expected stem on
//! the same line. Every word must match. A missing file fails the test, naming the package.

use super::{stem_en, stem_id};

/// Where Debian's `snowball-data` installs the vocabularies.
const SNOWBALL_DATA_DIR: &str = "/usr/share/snowball/data";

fn check_vocabulary(language: &str, stem: fn(&str) -> String) -> usize {
    let read = |file: &str| {
        let path = format!("{SNOWBALL_DATA_DIR}/{language}/{file}");
        std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "cannot read {path} ({e}): install the Debian package `snowball-data` \
                 (apt-get install snowball-data)"
            )
        })
    };
    let words = read("voc.txt");
    let stems = read("output.txt");
    let words: Vec<&str> = words.lines().collect();
    let stems: Vec<&str> = stems.lines().collect();
    assert_eq!(
        words.len(),
        stems.len(),
        "{language}: voc.txt and output.txt differ in length"
    );
    let mismatches: Vec<String> = words
        .iter()
        .zip(&stems)
        .filter_map(|(word, expected)| {
            let got = stem(word);
            (got != *expected).then(|| format!("{word:?} → {got:?}, expected {expected:?}"))
        })
        .collect();
    assert!(
        mismatches.is_empty(),
        "{language}: {} of {} words stem wrongly; first ones:\n{}",
        mismatches.len(),
        words.len(),
        mismatches
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    words.len()
}

#[test]
fn indonesian_stems_match_snowball_vocabulary() {
    assert_eq!(check_vocabulary("indonesian", stem_id::stem), 64_587);
}

#[test]
fn english_stems_match_snowball_vocabulary() {
    assert_eq!(check_vocabulary("english", stem_en::stem), 29_417);
}
