//! Meetings: the meeting rows (number, passcode, settings, status), participants (members by
//! user id, guests by the hash of their device key, each with the hash of the token that opens
//! the room) and wrong-passcode attempts.
//!
//! Meeting numbers are unique across organisations, since people join by number alone; a new
//! meeting draws numbers until one is free (`ON CONFLICT DO NOTHING`, so a collision does not
//! abort the transaction on PostgreSQL). Wrong passcodes are counted in the database so every
//! node enforces one limit; on PostgreSQL, transaction-scoped advisory locks on the client IP
//! and on the meeting serialise attempts so a burst cannot overshoot a limit (SQLite's single
//! writer does the same).
//!
//! Reads that take an `org_id` find nothing in other organisations. The room (signalling) reads
//! through [`Store::participant_by_token_hash`], [`Store::participants_of`] and
//! [`Store::set_left`].

use kantor_core::ids::{ConversationId, MeetingId, OrgId, ParticipantId, UserId};
use kantor_core::meet::{MeetingKind, MeetingRole, ParticipantState, Status, WaitingRoom};
use sqlx::any::AnyRow;
use sqlx::AnyConnection;

use crate::db::Backend;
use crate::row::{flag, RowExt};
use crate::{new_id, Result, Store, StoreError, Tx};

/// How many numbers a new meeting draws before giving up (with 9·10¹⁰ numbers, a second draw
/// is already rare).
const NUMBER_ATTEMPTS: usize = 8;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Meeting {
    pub id: MeetingId,
    pub org_id: OrgId,
    /// The bare digits.
    pub number: String,
    pub passcode: String,
    pub title: String,
    pub host_id: UserId,
    pub host_name: String,
    pub status: Status,
    pub locked: bool,
    pub waiting_room: WaitingRoom,
    pub allow_guests: bool,
    pub spotlight: Option<ParticipantId>,
    pub created_at: i64,
    pub ended_at: Option<i64>,
    /// The meeting's chat conversation (kind `meeting`); none for meetings made before
    /// meeting chat existed.
    pub conversation_id: Option<ConversationId>,
    /// Participants admitted right now.
    pub participant_count: i64,
    pub kind: MeetingKind,
    pub agenda: String,
    /// A scheduled meeting's series, as JSON (see `kantor_core::schedule`).
    pub schedule: Option<String>,
    pub first_start_at: Option<i64>,
    pub last_end_at: Option<i64>,
    pub ics_sequence: i64,
    pub cancelled_at: Option<i64>,
}

pub(crate) const MEETING_SELECT: &str = "SELECT m.*, u.name AS host_name,
       (SELECT COUNT(*) FROM meeting_participants p
         WHERE p.meeting_id = m.id AND p.state = 'admitted') AS participant_count
     FROM meetings m JOIN users u ON u.id = m.host_id";

pub(crate) fn meeting_from(row: &AnyRow) -> Result<Meeting> {
    Ok(Meeting {
        id: row.parse("id")?,
        org_id: row.parse("org_id")?,
        number: row.text("number")?,
        passcode: row.text("passcode")?,
        title: row.text("title")?,
        host_id: row.parse("host_id")?,
        host_name: row.text("host_name")?,
        status: row.parse("status")?,
        locked: row.flag("locked")?,
        waiting_room: row.parse("waiting_room")?,
        allow_guests: row.flag("allow_guests")?,
        spotlight: row.opt_parse("spotlight")?,
        created_at: row.int("created_at")?,
        ended_at: row.opt_int("ended_at")?,
        conversation_id: row.opt_parse("conversation_id")?,
        participant_count: row.int("participant_count")?,
        kind: row.parse("kind")?,
        agenda: row.text("agenda")?,
        schedule: row.opt_text("schedule")?,
        first_start_at: row.opt_int("first_start_at")?,
        last_end_at: row.opt_int("last_end_at")?,
        ics_sequence: row.int("ics_sequence")?,
        cancelled_at: row.opt_int("cancelled_at")?,
    })
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Participant {
    pub id: ParticipantId,
    pub meeting_id: MeetingId,
    pub org_id: OrgId,
    /// Null for guests.
    pub user_id: Option<UserId>,
    pub name: String,
    pub role: MeetingRole,
    pub state: ParticipantState,
    pub guest: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

const PARTICIPANT_COLS: &str =
    "p.id, p.meeting_id, p.org_id, p.user_id, p.name, p.role, p.state, p.guest, p.created_at, p.updated_at";

fn participant_from(row: &AnyRow) -> Result<Participant> {
    Ok(Participant {
        id: row.parse("id")?,
        meeting_id: row.parse("meeting_id")?,
        org_id: row.parse("org_id")?,
        user_id: row.opt_parse("user_id")?,
        name: row.text("name")?,
        role: row.parse("role")?,
        state: row.parse("state")?,
        guest: row.flag("guest")?,
        created_at: row.int("created_at")?,
        updated_at: row.int("updated_at")?,
    })
}

#[derive(Clone, Debug)]
pub struct NewMeeting<'a> {
    pub org_id: OrgId,
    pub host_id: UserId,
    /// The host's name, for their participant row.
    pub host_name: &'a str,
    pub title: &'a str,
    pub passcode: &'a str,
    pub waiting_room: WaitingRoom,
    pub allow_guests: bool,
    pub kind: MeetingKind,
    pub agenda: &'a str,
    /// Scheduled meetings: the series JSON, the first start and the last end (none: endless).
    pub schedule: Option<&'a str>,
    pub first_start_at: Option<i64>,
    pub last_end_at: Option<i64>,
}

impl<'a> NewMeeting<'a> {
    /// An instant meeting with these settings.
    #[allow(clippy::too_many_arguments)]
    pub fn instant(
        org_id: OrgId,
        host_id: UserId,
        host_name: &'a str,
        title: &'a str,
        passcode: &'a str,
        waiting_room: WaitingRoom,
        allow_guests: bool,
    ) -> Self {
        NewMeeting {
            org_id,
            host_id,
            host_name,
            title,
            passcode,
            waiting_room,
            allow_guests,
            kind: MeetingKind::Instant,
            agenda: "",
            schedule: None,
            first_start_at: None,
            last_end_at: None,
        }
    }
}

/// Creates a live meeting and its host's participant row (state `left`: not in the room yet,
/// no token until they join), drawing numbers from `next_number` until one is free. `Conflict`
/// only if every draw collided.
pub async fn insert_meeting(
    conn: &mut AnyConnection,
    m: &NewMeeting<'_>,
    mut next_number: impl FnMut() -> String,
    now: i64,
) -> Result<MeetingId> {
    let id = MeetingId(new_id());
    let mut inserted = false;
    for _ in 0..NUMBER_ATTEMPTS {
        let done = sqlx::query(
            "INSERT INTO meetings (id, org_id, number, passcode, title, host_id, status, locked,
               waiting_room, allow_guests, created_at, kind, agenda, schedule, first_start_at,
               last_end_at)
             VALUES ($1, $2, $3, $4, $5, $6, 'live', 0, $7, $8, $9, $10, $11, $12, $13, $14)
             ON CONFLICT (number) DO NOTHING",
        )
        .bind(id.to_string())
        .bind(m.org_id.to_string())
        .bind(next_number())
        .bind(m.passcode)
        .bind(m.title)
        .bind(m.host_id.to_string())
        .bind(m.waiting_room.as_str())
        .bind(flag(m.allow_guests))
        .bind(now)
        .bind(m.kind.as_str())
        .bind(m.agenda)
        .bind(m.schedule)
        .bind(m.first_start_at)
        .bind(m.last_end_at)
        .execute(&mut *conn)
        .await
        .map_err(StoreError::from_write)?;
        if done.rows_affected() == 1 {
            inserted = true;
            break;
        }
        tracing::debug!("meeting number taken; drawing another");
    }
    if !inserted {
        return Err(StoreError::Conflict("meetings_number".into()));
    }
    insert_participant(
        conn,
        &NewParticipant {
            meeting_id: id,
            org_id: m.org_id,
            user_id: Some(m.host_id),
            device_key_hash: None,
            name: m.host_name,
            role: MeetingRole::Host,
            state: ParticipantState::Left,
            token_hash: None,
        },
        now,
    )
    .await?;
    Ok(id)
}

/// A meeting of the organisation.
pub async fn meeting(conn: &mut AnyConnection, org_id: OrgId, id: MeetingId) -> Result<Meeting> {
    let row = sqlx::query(&format!(
        "{MEETING_SELECT} WHERE m.id = $1 AND m.org_id = $2"
    ))
    .bind(id.to_string())
    .bind(org_id.to_string())
    .fetch_optional(conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    meeting_from(&row)
}

/// The meeting with this number (bare digits), in any organisation.
pub async fn meeting_by_number(conn: &mut AnyConnection, number: &str) -> Result<Meeting> {
    let row = sqlx::query(&format!("{MEETING_SELECT} WHERE m.number = $1"))
        .bind(number)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    meeting_from(&row)
}

/// A person's meetings in an organisation: live ones they host or are admitted to (newest
/// first), then up to `ended_limit` ended ones they hosted or were in (most recently ended
/// first).
pub async fn meetings_of(
    conn: &mut AnyConnection,
    org_id: OrgId,
    user_id: UserId,
    ended_limit: i64,
) -> Result<Vec<Meeting>> {
    let live = sqlx::query(&format!(
        "{MEETING_SELECT} WHERE m.org_id = $1 AND m.status = 'live' AND (m.host_id = $2 OR EXISTS
           (SELECT 1 FROM meeting_participants x WHERE x.meeting_id = m.id AND x.user_id = $2
              AND x.state = 'admitted'))
         ORDER BY m.created_at DESC, m.id DESC LIMIT 200"
    ))
    .bind(org_id.to_string())
    .bind(user_id.to_string())
    .fetch_all(&mut *conn)
    .await?;
    let ended = sqlx::query(&format!(
        "{MEETING_SELECT} WHERE m.org_id = $1 AND m.status = 'ended' AND (m.host_id = $2 OR EXISTS
           (SELECT 1 FROM meeting_participants x WHERE x.meeting_id = m.id AND x.user_id = $2
              AND x.state IN ('admitted', 'left')))
         ORDER BY m.ended_at DESC, m.id DESC LIMIT $3"
    ))
    .bind(org_id.to_string())
    .bind(user_id.to_string())
    .bind(ended_limit)
    .fetch_all(&mut *conn)
    .await?;
    live.iter().chain(ended.iter()).map(meeting_from).collect()
}

/// Changes to a meeting's settings; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct MeetingPatch<'a> {
    pub title: Option<&'a str>,
    pub locked: Option<bool>,
    pub waiting_room: Option<WaitingRoom>,
    pub allow_guests: Option<bool>,
    pub passcode: Option<&'a str>,
    /// `Some(Some(p))` spotlights a participant, `Some(None)` clears the spotlight.
    pub spotlight: Option<Option<ParticipantId>>,
}

pub async fn update_meeting(
    conn: &mut AnyConnection,
    id: MeetingId,
    p: &MeetingPatch<'_>,
) -> Result<()> {
    sqlx::query(
        "UPDATE meetings SET title = COALESCE($2, title), locked = COALESCE($3, locked),
           waiting_room = COALESCE($4, waiting_room), allow_guests = COALESCE($5, allow_guests),
           passcode = COALESCE($6, passcode),
           spotlight = CASE WHEN $7 = 1 THEN $8 ELSE spotlight END
         WHERE id = $1",
    )
    .bind(id.to_string())
    .bind(p.title)
    .bind(p.locked.map(flag))
    .bind(p.waiting_room.map(WaitingRoom::as_str))
    .bind(p.allow_guests.map(flag))
    .bind(p.passcode)
    .bind(flag(p.spotlight.is_some()))
    .bind(p.spotlight.flatten().map(|s| s.to_string()))
    .execute(conn)
    .await?;
    Ok(())
}

/// Gives a meeting its chat conversation (once, right after the meeting is made).
pub async fn set_meeting_conversation(
    conn: &mut AnyConnection,
    id: MeetingId,
    conversation_id: ConversationId,
) -> Result<()> {
    sqlx::query("UPDATE meetings SET conversation_id = $2 WHERE id = $1")
        .bind(id.to_string())
        .bind(conversation_id.to_string())
        .execute(conn)
        .await?;
    Ok(())
}

/// A person's own room in an organisation, if made.
pub async fn personal_meeting(
    conn: &mut AnyConnection,
    org_id: OrgId,
    user_id: UserId,
) -> Result<Option<Meeting>> {
    let row = sqlx::query(&format!(
        "{MEETING_SELECT} WHERE m.org_id = $1 AND m.host_id = $2 AND m.kind = 'personal'"
    ))
    .bind(org_id.to_string())
    .bind(user_id.to_string())
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(meeting_from).transpose()
}

/// Whether a host or cohost of the meeting is in it now.
pub async fn runner_present(conn: &mut AnyConnection, meeting_id: MeetingId) -> Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM meeting_participants
         WHERE meeting_id = $1 AND role IN ('host', 'cohost') AND state = 'admitted'",
    )
    .bind(meeting_id.to_string())
    .fetch_one(conn)
    .await?;
    Ok(n > 0)
}

/// The host arrived: those in the lobby whom the waiting room would not hold are admitted.
/// Returns the members among them (their user ids), who join the meeting's chat.
pub async fn admit_lobby(
    conn: &mut AnyConnection,
    meeting_id: MeetingId,
    waiting_room: WaitingRoom,
    now: i64,
) -> Result<Vec<UserId>> {
    // Guests wait for admission unless the waiting room is off; members only when it is
    // `everyone` (kantor_core::meet::waits_for_admission).
    let guests = match waiting_room {
        WaitingRoom::Off => "",
        WaitingRoom::Guests => " AND guest = 0",
        WaitingRoom::Everyone => return Ok(Vec::new()),
    };
    let members: Vec<Option<String>> = sqlx::query_scalar(&format!(
        "SELECT user_id FROM meeting_participants WHERE meeting_id = $1 AND state = 'waiting'{guests}"
    ))
    .bind(meeting_id.to_string())
    .fetch_all(&mut *conn)
    .await?;
    sqlx::query(&format!(
        "UPDATE meeting_participants SET state = 'admitted', updated_at = $2
         WHERE meeting_id = $1 AND state = 'waiting'{guests}"
    ))
    .bind(meeting_id.to_string())
    .bind(now)
    .execute(conn)
    .await?;
    members
        .into_iter()
        .flatten()
        .map(|s| s.parse().map_err(|_| StoreError::Corrupt("user_id")))
        .collect()
}

/// Ends the current session of a reusable meeting: everyone in it or waiting is recorded as
/// left (their tokens stay valid for the next session; they join again).
pub async fn end_session(conn: &mut AnyConnection, meeting_id: MeetingId, now: i64) -> Result<()> {
    sqlx::query(
        "UPDATE meeting_participants SET state = 'left', updated_at = $2
         WHERE meeting_id = $1 AND state IN ('waiting', 'admitted')",
    )
    .bind(meeting_id.to_string())
    .bind(now)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE meetings SET spotlight = NULL WHERE id = $1")
        .bind(meeting_id.to_string())
        .execute(conn)
        .await?;
    Ok(())
}

/// Ends a live meeting; whether it was live. Participant tokens stop opening the room (see
/// [`kantor_core::meet::token_opens_room`]).
pub async fn end_meeting(conn: &mut AnyConnection, id: MeetingId, now: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE meetings SET status = 'ended', ended_at = $2, spotlight = NULL
         WHERE id = $1 AND status = 'live'",
    )
    .bind(id.to_string())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

// --- participants ------------------------------------------------------------------------------

#[derive(Clone, Debug)]
pub struct NewParticipant<'a> {
    pub meeting_id: MeetingId,
    pub org_id: OrgId,
    pub user_id: Option<UserId>,
    pub device_key_hash: Option<&'a str>,
    pub name: &'a str,
    pub role: MeetingRole,
    pub state: ParticipantState,
    pub token_hash: Option<&'a str>,
}

/// Inserts a participant; `Conflict` when the person (or device) already has a row in the
/// meeting — two joins raced; read the row and update it instead.
pub async fn insert_participant(
    conn: &mut AnyConnection,
    p: &NewParticipant<'_>,
    now: i64,
) -> Result<Participant> {
    let id = ParticipantId(new_id());
    sqlx::query(
        "INSERT INTO meeting_participants (id, meeting_id, org_id, user_id, device_key_hash, name,
           role, state, guest, token_hash, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
    )
    .bind(id.to_string())
    .bind(p.meeting_id.to_string())
    .bind(p.org_id.to_string())
    .bind(p.user_id.map(|u| u.to_string()))
    .bind(p.device_key_hash)
    .bind(p.name)
    .bind(p.role.as_str())
    .bind(p.state.as_str())
    .bind(flag(p.user_id.is_none()))
    .bind(p.token_hash)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map_err(StoreError::from_write)?;
    participant(conn, p.meeting_id, id).await
}

/// A participant of the meeting.
pub async fn participant(
    conn: &mut AnyConnection,
    meeting_id: MeetingId,
    id: ParticipantId,
) -> Result<Participant> {
    let row = sqlx::query(&format!(
        "SELECT {PARTICIPANT_COLS} FROM meeting_participants p WHERE p.id = $1 AND p.meeting_id = $2"
    ))
    .bind(id.to_string())
    .bind(meeting_id.to_string())
    .fetch_optional(conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    participant_from(&row)
}

/// A member's row in the meeting, if they have one.
pub async fn participant_by_user(
    conn: &mut AnyConnection,
    meeting_id: MeetingId,
    user_id: UserId,
) -> Result<Option<Participant>> {
    let row = sqlx::query(&format!(
        "SELECT {PARTICIPANT_COLS} FROM meeting_participants p WHERE p.meeting_id = $1 AND p.user_id = $2"
    ))
    .bind(meeting_id.to_string())
    .bind(user_id.to_string())
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(participant_from).transpose()
}

/// A guest's row in the meeting by the hash of their device key, if they have one.
pub async fn participant_by_device(
    conn: &mut AnyConnection,
    meeting_id: MeetingId,
    device_key_hash: &str,
) -> Result<Option<Participant>> {
    let row = sqlx::query(&format!(
        "SELECT {PARTICIPANT_COLS} FROM meeting_participants p
         WHERE p.meeting_id = $1 AND p.device_key_hash = $2"
    ))
    .bind(meeting_id.to_string())
    .bind(device_key_hash)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(participant_from).transpose()
}

/// Every participant of the meeting, in the order they first joined.
pub async fn participants(
    conn: &mut AnyConnection,
    meeting_id: MeetingId,
) -> Result<Vec<Participant>> {
    let rows = sqlx::query(&format!(
        "SELECT {PARTICIPANT_COLS} FROM meeting_participants p WHERE p.meeting_id = $1
         ORDER BY p.created_at, p.id"
    ))
    .bind(meeting_id.to_string())
    .fetch_all(conn)
    .await?;
    rows.iter().map(participant_from).collect()
}

/// The meetings of the organisation in which `user_id` is a cohost (and was not sent away).
pub async fn cohosted_by(
    conn: &mut AnyConnection,
    org_id: OrgId,
    user_id: UserId,
) -> Result<Vec<MeetingId>> {
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT meeting_id FROM meeting_participants
         WHERE org_id = $1 AND user_id = $2 AND role = 'cohost' AND state NOT IN ('removed', 'denied')",
    )
    .bind(org_id.to_string())
    .bind(user_id.to_string())
    .fetch_all(conn)
    .await?;
    ids.iter()
        .map(|s| s.parse().map_err(|_| StoreError::Corrupt("meeting_id")))
        .collect()
}

/// A participant's row as a new join leaves it: name, role, state and a new token (the old one
/// stops working).
pub async fn rejoin(
    conn: &mut AnyConnection,
    id: ParticipantId,
    name: &str,
    role: MeetingRole,
    state: ParticipantState,
    token_hash: &str,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE meeting_participants SET name = $2, role = $3, state = $4, token_hash = $5,
           updated_at = $6 WHERE id = $1",
    )
    .bind(id.to_string())
    .bind(name)
    .bind(role.as_str())
    .bind(state.as_str())
    .bind(token_hash)
    .bind(now)
    .execute(conn)
    .await
    .map_err(StoreError::from_write)?;
    Ok(())
}

/// Changes to one participant; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct ParticipantPatch<'a> {
    pub name: Option<&'a str>,
    pub role: Option<MeetingRole>,
    pub state: Option<ParticipantState>,
}

pub async fn update_participant(
    conn: &mut AnyConnection,
    id: ParticipantId,
    p: &ParticipantPatch<'_>,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE meeting_participants SET name = COALESCE($2, name), role = COALESCE($3, role),
           state = COALESCE($4, state), updated_at = $5 WHERE id = $1",
    )
    .bind(id.to_string())
    .bind(p.name)
    .bind(p.role.map(MeetingRole::as_str))
    .bind(p.state.map(ParticipantState::as_str))
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

// --- wrong passcodes ---------------------------------------------------------------------------

/// Wrong passcodes within a window, as the limits count them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PasscodeFailures {
    /// From this IP, for this meeting.
    pub meeting_ip: i64,
    /// From every IP, for this meeting.
    pub meeting: i64,
    /// From this IP, for every meeting.
    pub ip: i64,
}

/// Counts wrong passcodes at or after `since` from `ip` across meetings, and — when `meeting_id`
/// is given — for that meeting. Call it inside the transaction that will record a failure: on
/// PostgreSQL it first takes advisory locks on the IP and the meeting (in that order, always),
/// held until the transaction ends, so concurrent attempts are counted one after another.
pub async fn passcode_failures(
    tx: &mut Tx,
    backend: Backend,
    meeting_id: Option<MeetingId>,
    ip: &str,
    since: i64,
) -> Result<PasscodeFailures> {
    if backend == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
            .bind(format!("meet-ip:{ip}"))
            .execute(tx.conn())
            .await?;
        if let Some(m) = meeting_id {
            sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
                .bind(format!("meet:{m}"))
                .execute(tx.conn())
                .await?;
        }
    }
    let ip_count: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM meeting_passcode_failures WHERE ip = $1 AND at >= $2",
    )
    .bind(ip)
    .bind(since)
    .fetch_one(tx.conn())
    .await?;
    let mut out = PasscodeFailures {
        ip: ip_count,
        ..PasscodeFailures::default()
    };
    if let Some(m) = meeting_id {
        let row = sqlx::query(
            "SELECT COUNT(*) AS total, COALESCE(SUM(CASE WHEN ip = $2 THEN 1 ELSE 0 END), 0) AS mine
             FROM meeting_passcode_failures WHERE meeting_id = $1 AND at >= $3",
        )
        .bind(m.to_string())
        .bind(ip)
        .bind(since)
        .fetch_one(tx.conn())
        .await?;
        out.meeting = row.int("total")?;
        out.meeting_ip = row.int("mine")?;
    }
    Ok(out)
}

/// Records one wrong passcode.
pub async fn record_passcode_failure(
    conn: &mut AnyConnection,
    meeting_id: MeetingId,
    ip: &str,
    now: i64,
) -> Result<()> {
    sqlx::query("INSERT INTO meeting_passcode_failures (meeting_id, ip, at) VALUES ($1, $2, $3)")
        .bind(meeting_id.to_string())
        .bind(ip)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// Forgets this IP's wrong passcodes for this meeting (after a right one). Other IPs' failures
/// stay: a right guess from one address does not reset an attack from others.
pub async fn clear_passcode_failures(
    conn: &mut AnyConnection,
    meeting_id: MeetingId,
    ip: &str,
) -> Result<()> {
    sqlx::query("DELETE FROM meeting_passcode_failures WHERE meeting_id = $1 AND ip = $2")
        .bind(meeting_id.to_string())
        .bind(ip)
        .execute(conn)
        .await?;
    Ok(())
}

impl Store {
    /// The participant whose token hashes to `token_hash`, with their meeting — for the room's
    /// `hello`. `None` when no participant has that token (never issued, or replaced by a later
    /// join). The row is returned whatever its state: the caller decides with
    /// [`kantor_core::meet::token_opens_room`] (removed/denied → 4401, meeting ended → 4410).
    pub async fn participant_by_token_hash(
        &self,
        token_hash: &str,
    ) -> Result<Option<(Participant, Meeting)>> {
        let mut conn = self.read_conn().await?;
        let row = sqlx::query(&format!(
            "SELECT {PARTICIPANT_COLS} FROM meeting_participants p WHERE p.token_hash = $1"
        ))
        .bind(token_hash)
        .fetch_optional(&mut *conn)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let p = participant_from(&row)?;
        let m = meeting(&mut conn, p.org_id, p.meeting_id).await?;
        Ok(Some((p, m)))
    }

    /// Every participant row of a meeting (any state, including the host's row from creation
    /// in state `left`), in the order they first joined — for the room to rebuild its view
    /// after a `Sync`.
    pub async fn participants_of(&self, meeting_id: MeetingId) -> Result<Vec<Participant>> {
        participants(&mut *self.read_conn().await?, meeting_id).await
    }

    /// Marks a participant as gone from the room (their socket closed) at `now`; whether it
    /// changed. Only `waiting` and `admitted` become `left`: a removed or denied participant
    /// stays so, which keeps them out on their next join.
    pub async fn set_left(&self, participant_id: ParticipantId, now: i64) -> Result<bool> {
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "UPDATE meeting_participants SET state = 'left', updated_at = $2
             WHERE id = $1 AND state IN ('waiting', 'admitted')",
        )
        .bind(participant_id.to_string())
        .bind(now)
        .execute(tx.conn())
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    /// Deletes wrong-passcode rows older than `before` (the hourly prune job).
    pub async fn prune_passcode_failures(&self, before: i64) -> Result<u64> {
        let mut tx = self.begin().await?;
        let done = sqlx::query("DELETE FROM meeting_passcode_failures WHERE at < $1")
            .bind(before)
            .execute(tx.conn())
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }
}
