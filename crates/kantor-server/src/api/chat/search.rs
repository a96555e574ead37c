//! Chat search: `GET /chat/search?q=…` over the messages and files of the conversations the
//! caller is in.
//!
//! The query language and the analysis are `kantor_core::search`; the index and the query are
//! `kantor_store::search` (membership is a condition of the SQL). This module resolves the
//! filters that need the database — `in:` to the caller's conversations, `from:` to people,
//! dates to UTC in the caller's time zone — checks phrases on the candidates, and builds
//! highlighted snippets.
//!
//! `in:` names only conversations the caller is a member of: a channel they are not in is
//! answered like one that does not exist (422 `search.unknown_channel`), so a private
//! channel's name is not revealed and a public channel one has not joined is not searched.

use std::collections::HashMap;

use axum::extract::{Path, State};
use kantor_core::chat::{self, Kind};
use kantor_core::ids::{ConversationId, UserId};
use kantor_core::search::{self, highlight, Place, Query, QueryError};
use kantor_store::chat::{self as store, Conversation, Message};
use kantor_store::search::{self as index, Position, SearchFilter};
use kantor_store::Conn;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::messages::{message_dto, AttachmentDto, MessageDto};
use super::{chat_caller, ChatCaller, ConversationKind};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::Query as QueryParams;
use crate::state::AppState;

/// Results per page unless asked otherwise, and at most.
const DEFAULT_LIMIT: i64 = 20;
const MAX_LIMIT: i64 = 50;
/// Candidates read per round when phrases must be checked on the text, and at most this many
/// rounds per request: a page may then come back short, with a cursor to go on.
const PHRASE_BATCH: i64 = 100;
const PHRASE_ROUNDS: usize = 5;

/// Indexes a message as it now is (edited or deleted), in the writer's transaction.
pub async fn index(conn: &mut Conn, m: &Message) -> ApiResult<()> {
    Ok(index::index(conn, m).await?)
}

/// Indexes a message just posted, in the writer's transaction.
pub async fn index_new(conn: &mut Conn, m: &Message) -> ApiResult<()> {
    Ok(index::index_new(conn, m).await?)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// The query (at most 500 characters): words, `"phrases"`, `-word`, and filters `in:#channel`,
    /// `in:@person`, `from:@person`, `before:`/`after:`/`on:YYYY-MM-DD`, `during:YYYY-MM`,
    /// `has:file`, `has:link`, `is:pinned`, `is:thread` (see docs/API.md). Absent or blank: no
    /// results.
    pub q: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1–50, default 20.
    pub limit: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct SearchPageDto {
    /// Newest first.
    pub results: Vec<SearchResultDto>,
    /// Present when there may be more results.
    #[schema(required = true)]
    pub next_cursor: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SearchResultDto {
    pub message: MessageDto,
    pub conversation: SearchConversationDto,
    /// A piece of the message (or of a file's name) around the first match, in parts; `hit`
    /// parts are the matching words.
    pub snippet: Vec<SnippetPartDto>,
}

#[derive(Serialize, ToSchema)]
pub struct SearchConversationDto {
    pub id: String,
    pub kind: ConversationKind,
    /// Channels only.
    #[schema(required = true)]
    pub name: Option<String>,
    /// What to call it: the channel's name, the other person of a DM, the other members of a
    /// group, a meeting chat's topic.
    pub title: String,
}

#[derive(Serialize, ToSchema)]
pub struct SnippetPartDto {
    pub text: String,
    pub hit: bool,
}

/// Searches the messages and files of the caller's conversations.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/chat/search", operation_id = "search_messages", tag = "chat", params(("org_id" = String, Path), SearchParams),
    responses((status = 200, body = SearchPageDto), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn search(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
    QueryParams(params): QueryParams<SearchParams>,
) -> ApiResult<axum::Json<SearchPageDto>> {
    let who = chat_caller(&state, &caller, &org_id).await?;
    let text = params.q.unwrap_or_default();
    if text.trim().is_empty() {
        return Ok(axum::Json(SearchPageDto {
            results: Vec::new(),
            next_cursor: None,
        }));
    }
    let query = search::parse(&text).map_err(query_error)?;
    let after = params.cursor.as_deref().map(parse_cursor).transpose()?;
    let limit = params.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::invalid(
            "limit",
            "validation.invalid",
            "limit is 1 to 50",
        ));
    }
    let time_zone = state.store.user(who.user_id).await?.time_zone;
    let mut conn = state.store.read_conn().await?;
    let places = Places::resolve(&mut conn, &who, &query, &text).await?;
    let (since, until) = utc_range(&query, &time_zone);
    let words: Vec<Vec<String>> = query
        .words
        .iter()
        .chain(query.phrases.iter().flat_map(|p| &p.words))
        .map(|w| w.terms.clone())
        .collect();
    let excluded: Vec<Vec<String>> = query.excluded.iter().map(|w| w.terms.clone()).collect();
    let check_phrases = !query.phrases.is_empty() || !query.excluded_phrases.is_empty();
    let mut filter = SearchFilter {
        org_id: who.org_id,
        user_id: who.user_id,
        words: &words,
        excluded: &excluded,
        authors: &places.authors,
        conversations: places.conversations.as_deref(),
        since,
        until,
        has_file: query.has_file,
        has_link: query.has_link,
        is_pinned: query.is_pinned,
        is_thread: query.is_thread,
        after,
        limit: if check_phrases {
            PHRASE_BATCH
        } else {
            limit + 1
        },
    };

    // Read candidates newest first until a page and one more are found; with phrases, at most
    // a few rounds (a short page then carries the position reached as its cursor).
    let mut found: Vec<Message> = Vec::new();
    let mut next_cursor = None;
    let rounds = if check_phrases { PHRASE_ROUNDS } else { 1 };
    'rounds: for round in 0..rounds {
        let candidates = index::search(&mut conn, &filter).await?;
        let exhausted = (candidates.len() as i64) < filter.limit;
        for m in candidates {
            filter.after = Some(Position::of(&m));
            if !phrases_hold(&query, &m) {
                continue;
            }
            if found.len() as i64 == limit {
                next_cursor = found.last().map(|m| cursor(Position::of(m)));
                break 'rounds;
            }
            found.push(m);
        }
        if exhausted {
            break;
        }
        if round + 1 == rounds {
            next_cursor = filter.after.map(cursor);
        }
    }

    let titles = titles(&mut conn, &who, &found).await?;
    let marks = query.highlight_terms();
    let results = found
        .iter()
        .filter_map(|m| {
            let conversation = titles.get(&m.conversation_id)?;
            Some(SearchResultDto {
                message: message_dto(m),
                conversation: SearchConversationDto {
                    id: conversation.0.id.to_string(),
                    kind: conversation.0.kind.into(),
                    name: conversation.0.name.clone(),
                    title: conversation.1.clone(),
                },
                snippet: snippet(m, &marks),
            })
        })
        .collect();
    Ok(axum::Json(SearchPageDto {
        results,
        next_cursor,
    }))
}

/// A query error as the API answers it: too long 413, anything else 422; both name the field
/// `q` and the character position.
fn query_error(e: QueryError) -> ApiError {
    let err = if e.code == search::query::code::QUERY_TOO_LONG {
        ApiError::too_large(e.code, e.message).with_field("q")
    } else {
        ApiError::invalid("q", e.code, e.message)
    };
    err.at_position(e.position)
}

fn cursor(p: Position) -> String {
    format!("{}_{}", p.created_at, p.id)
}

fn parse_cursor(s: &str) -> ApiResult<Position> {
    let bad = || ApiError::invalid("cursor", "validation.invalid", "not a search cursor");
    let (at, id) = s.split_once('_').ok_or_else(bad)?;
    Ok(Position {
        created_at: at.parse().map_err(|_| bad())?,
        id: id.parse().map_err(|_| bad())?,
    })
}

/// The query's local days as UTC milliseconds in the caller's zone (UTC if it is unknown).
fn utc_range(query: &Query, time_zone: &str) -> (Option<i64>, Option<i64>) {
    let tz = jiff::tz::TimeZone::get(time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let range = query.day_range();
    let start_of = |d: jiff::civil::Date| {
        d.to_zoned(tz.clone())
            .map(|z| z.timestamp().as_millisecond())
            .ok()
    };
    (
        range.from.and_then(start_of),
        range.until.and_then(start_of),
    )
}

/// Whether the message's body or one of its files' names holds the query's phrases, and none
/// holds an excluded phrase.
fn phrases_hold(query: &Query, m: &Message) -> bool {
    if query.phrases.is_empty() && query.excluded_phrases.is_empty() {
        return true;
    }
    let names = file_names(m);
    let texts: Vec<&str> = std::iter::once(m.body.as_str())
        .chain(names.iter().map(String::as_str))
        .collect();
    query
        .phrases
        .iter()
        .all(|p| texts.iter().any(|t| p.occurs_in(t)))
        && !query
            .excluded_phrases
            .iter()
            .any(|p| texts.iter().any(|t| p.occurs_in(t)))
}

fn file_names(m: &Message) -> Vec<String> {
    serde_json::from_str::<Vec<AttachmentDto>>(&m.attachments)
        .unwrap_or_default()
        .into_iter()
        .map(|a| a.name)
        .collect()
}

/// The body's snippet; when the body has no match, the first file name that has one.
fn snippet(m: &Message, marks: &[String]) -> Vec<SnippetPartDto> {
    let mut best = highlight(&m.body, marks);
    if best.marks.is_empty() {
        let names = file_names(m);
        let from_name = names
            .iter()
            .map(|n| highlight(n, marks))
            .find(|s| !s.marks.is_empty());
        match from_name {
            Some(s) => best = s,
            None if best.text.is_empty() => {
                if let Some(first) = names.first() {
                    best = highlight(first, marks);
                }
            }
            None => {}
        }
    }
    best.segments()
        .into_iter()
        .map(|(text, hit)| SnippetPartDto {
            text: text.to_string(),
            hit,
        })
        .collect()
}

/// The conversations of the results with what to call them.
async fn titles(
    conn: &mut Conn,
    who: &ChatCaller,
    found: &[Message],
) -> ApiResult<HashMap<ConversationId, (Conversation, String)>> {
    let mut ids: Vec<ConversationId> = found.iter().map(|m| m.conversation_id).collect();
    ids.sort();
    ids.dedup();
    let mut conversations = Vec::with_capacity(ids.len());
    for id in &ids {
        conversations.push(store::conversation(conn, who.org_id, *id).await?);
    }
    let people: Vec<ConversationId> = conversations
        .iter()
        .filter(|c| matches!(c.kind, Kind::Dm | Kind::Group))
        .map(|c| c.id)
        .collect();
    let members = store::members_of_many(conn, &people).await?;
    Ok(conversations
        .into_iter()
        .map(|c| {
            let title = match c.kind {
                Kind::Public | Kind::Private => c.name.clone().unwrap_or_default(),
                Kind::Meeting => c.topic.clone(),
                Kind::Dm | Kind::Group => {
                    let all = members.get(&c.id).cloned().unwrap_or_default();
                    let others: Vec<String> = all
                        .iter()
                        .filter(|u| u.id != who.user_id)
                        .map(|u| u.name.clone())
                        .collect();
                    if others.is_empty() {
                        all.first().map(|u| u.name.clone()).unwrap_or_default()
                    } else {
                        others.join(", ")
                    }
                }
            };
            (c.id, (c, title))
        })
        .collect())
}

/// The `from:` and `in:` filters resolved against the database.
struct Places {
    authors: Vec<UserId>,
    /// `None`: no `in:` filter.
    conversations: Option<Vec<ConversationId>>,
}

impl Places {
    async fn resolve(
        conn: &mut Conn,
        who: &ChatCaller,
        query: &Query,
        text: &str,
    ) -> ApiResult<Places> {
        let from_at = filter_positions(text, &["from", "dari"]);
        let in_at = filter_positions(text, &["in", "di"]);
        let mut authors = Vec::new();
        for (i, name) in query.from.iter().enumerate() {
            let people = people(conn, who, name).await?;
            if people.is_empty() {
                return Err(unknown_person(name, from_at.get(i)));
            }
            authors.extend(people);
        }
        if query.in_.is_empty() {
            return Ok(Places {
                authors,
                conversations: None,
            });
        }
        let mut conversations = Vec::new();
        for (i, place) in query.in_.iter().enumerate() {
            let at = in_at.get(i);
            match place {
                Place::Channel(name) => {
                    let found = channels(conn, who, name).await?;
                    if found.is_empty() {
                        return Err(unknown_channel(&format!("#{name}"), at));
                    }
                    conversations.extend(found);
                }
                Place::Person(name) => {
                    let people = people(conn, who, name).await?;
                    if people.is_empty() {
                        return Err(unknown_person(name, at));
                    }
                    let dms = index::my_dms_with(conn, who.org_id, who.user_id, &people).await?;
                    conversations.extend(dms);
                }
                Place::Named(name) => {
                    let found = channels(conn, who, name).await?;
                    if !found.is_empty() {
                        conversations.extend(found);
                        continue;
                    }
                    let people = people(conn, who, name).await?;
                    if people.is_empty() {
                        return Err(unknown_channel(name, at));
                    }
                    let dms = index::my_dms_with(conn, who.org_id, who.user_id, &people).await?;
                    conversations.extend(dms);
                }
            }
        }
        Ok(Places {
            authors,
            conversations: Some(conversations),
        })
    }
}

/// The caller's channels called `name` (normalised like channel names are).
async fn channels(conn: &mut Conn, who: &ChatCaller, name: &str) -> ApiResult<Vec<ConversationId>> {
    let Ok(name) = chat::channel_name(name) else {
        return Ok(Vec::new());
    };
    Ok(index::my_channels_named(conn, who.org_id, who.user_id, &name).await?)
}

/// Members of the organisation a `from:`/`in:@` value names: by the start of their name, of a
/// word of it, or of their email. Exact matches of the whole name or the email's local part
/// win over mere prefixes, so `from:budi` is Budi and not also Budiman when both exist.
async fn people(conn: &mut Conn, who: &ChatCaller, value: &str) -> ApiResult<Vec<UserId>> {
    let value = value.trim().to_lowercase();
    let found = index::people(conn, who.org_id, &value).await?;
    let exact: Vec<UserId> = found
        .iter()
        .filter(|(u, email)| {
            u.name.to_lowercase() == value
                || email.to_lowercase() == value
                || email
                    .split('@')
                    .next()
                    .is_some_and(|local| local.to_lowercase() == value)
        })
        .map(|(u, _)| u.id)
        .collect();
    if !exact.is_empty() {
        return Ok(exact);
    }
    Ok(found.into_iter().map(|(u, _)| u.id).collect())
}

fn unknown_person(name: &str, at: Option<&usize>) -> ApiError {
    ApiError::invalid(
        "q",
        "search.unknown_person",
        format!("no member is called `{name}`"),
    )
    .at_position(at.copied().unwrap_or(0))
}

fn unknown_channel(name: &str, at: Option<&usize>) -> ApiError {
    ApiError::invalid(
        "q",
        "search.unknown_channel",
        format!("you are not in a conversation called `{name}`"),
    )
    .at_position(at.copied().unwrap_or(0))
}

/// Character positions of the filters named `names` in the query, in order, found the way the
/// parser finds them: at the start of an item (after whitespace, the start, or a closing
/// quote), outside quotes. The parser keeps `in:` and `from:` values in this order.
fn filter_positions(input: &str, names: &[&str]) -> Vec<usize> {
    let chars: Vec<char> = input.chars().collect();
    let mut out = Vec::new();
    let mut in_quote = false;
    let mut item_start = true;
    for (i, c) in chars.iter().enumerate() {
        if in_quote {
            if *c == '"' {
                in_quote = false;
                item_start = true;
            }
            continue;
        }
        if *c == '"' {
            in_quote = true;
            continue;
        }
        if c.is_whitespace() {
            item_start = true;
            continue;
        }
        if item_start {
            let name_len = chars[i..]
                .iter()
                .take_while(|c| c.is_ascii_alphabetic())
                .count();
            if name_len > 0 && chars.get(i + name_len) == Some(&':') {
                let name: String = chars[i..i + name_len].iter().collect();
                if names.contains(&name.to_ascii_lowercase().as_str()) {
                    out.push(i);
                }
            }
            item_start = false;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::filter_positions;

    #[test]
    fn filter_positions_follow_the_parser() {
        let q = r#"rapat in:#umum "in:x" from:"Budi S" di:@sari -x dari:ani"#;
        assert_eq!(filter_positions(q, &["in", "di"]), [6, 36]);
        assert_eq!(filter_positions(q, &["from", "dari"]), [22, 48]);
        assert_eq!(filter_positions("\"a b\"in:x", &["in"]), [5]);
        assert_eq!(filter_positions("win:x", &["in"]), Vec::<usize>::new());
    }
}
