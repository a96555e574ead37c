//! Chat search: the pure half. The server keeps a table of (term, message) rows, written in the
//! same transaction as each message from [`index_terms`] of its body and file names; a search
//! [`parse`]s the query, looks its words up by [`Term::terms`], applies the filters and
//! [`Query::phrases_hold`], and shows each result through [`highlight()`].
//!
//! **Invariant:** the same analyser builds index terms and query terms, so changing it (a
//! stemmer revision, the diacritic table, the word rules) means re-indexing every message.
//!
//! # Layout
//!
//! - [`stem_id`]: the Snowball Indonesian stemmer (`mencari`, `pencarian`, `dicari` → `cari`).
//! - [`stem_en`]: the Snowball English (Porter2) stemmer (`searching`, `searches` → `search`).
//! - [`analyse`]: text to words (lowercase, folded, markup skipped) and words to index terms.
//! - [`query`]: the query language (words, phrases, `-word`, filters) with positioned errors.
//! - [`mod@highlight`]: a snippet around the first match with the matching words marked.
//!
//! Both stemmers are checked word for word against Snowball's own vocabularies (Debian package
//! `snowball-data`) in this module's tests.

pub mod analyse;
pub mod highlight;
pub mod query;
pub mod stem_en;
pub mod stem_id;

pub use analyse::{index_terms, query_terms, tokens, Token, MAX_TERMS_PER_MESSAGE, MAX_WORD_CHARS};
pub use highlight::{highlight, Snippet};
pub use query::{
    parse, DayRange, Month, Phrase, Place, Query, QueryError, Term, MAX_QUERY_CHARS,
    MAX_QUERY_TERMS,
};

#[cfg(test)]
mod tests;
