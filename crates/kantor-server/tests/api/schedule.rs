//! Scheduling: the organisation's holidays (admins keep them, everyone reads them); scheduled
//! meetings — weekly and weekday series in the organiser's zone, invitees by person and by unit
//! (sub-units included), each person's calendar, cancelled and moved occurrences, the
//! invitation `.ics` read back by a real iCalendar parser, the feed URL, invitations, reminders
//! 10 minutes before on the test clock, cancelling the series — on SQLite and PostgreSQL.

use std::time::Duration;

use kantor_core::role::Role;
use kantor_server::Clock;
use serde_json::{json, Value};

use crate::common::{on_both, str_of, Options, TestServer, User, WAIT};

/// Monday 2026-11-23 07:00 WIB.
const MONDAY_MORNING: &str = "2026-11-23T00:00:00Z";

fn at(s: &str) -> i64 {
    s.parse::<jiff::Timestamp>()
        .expect("instant")
        .as_millisecond()
}

async fn calendar(user: &User, from: &str, to: &str) -> Vec<Value> {
    let cal = user
        .client
        .get(&user.org_path(&format!("/calendar?from={from}&to={to}")))
        .await
        .expect(200);
    cal["entries"].as_array().expect("entries").clone()
}

fn starts(entries: &[Value]) -> Vec<String> {
    entries
        .iter()
        .map(|e| str_of(&e["occurrence"]["start"]))
        .collect()
}

/// The bodies of the direct messages `user` got from the organisation's Kantor bot.
async fn from_kantor(user: &User) -> Vec<String> {
    let all = user
        .client
        .get(&user.org_path("/chat/conversations"))
        .await
        .expect(200);
    let mut out = Vec::new();
    for c in all.as_array().expect("conversations") {
        if c["kind"] != "dm" {
            continue;
        }
        let page = user
            .client
            .get(&user.org_path(&format!(
                "/chat/conversations/{}/messages",
                str_of(&c["id"])
            )))
            .await
            .expect(200);
        for m in page["messages"].as_array().expect("messages") {
            if m["author"]["name"] == "Kantor" {
                out.push(str_of(&m["body"]));
            }
        }
    }
    out
}

/// Runs due jobs until `user` has `n` messages from Kantor (bounded by `WAIT`).
async fn kantor_says(server: &TestServer, user: &User, n: usize) -> Vec<String> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        kantor_server::jobs::run_due(server.state())
            .await
            .expect("jobs");
        let got = from_kantor(user).await;
        if got.len() >= n {
            return got;
        }
        assert!(tokio::time::Instant::now() < deadline, "got {got:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Parses iCalendar text with Python's `icalendar` (Debian python3-icalendar, installed by
/// scripts/setup.sh) and answers what it read, as JSON.
fn parse_ics(text: &str) -> Value {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("x.ics");
    std::fs::write(&path, text).expect("write");
    let script = r#"
import json, sys, icalendar
cal = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())
out = {"name": str(cal.get('X-WR-CALNAME', '')), "events": []}
for e in cal.walk('VEVENT'):
    ex = e.get('EXDATE')
    exs = ex if isinstance(ex, list) else ([ex] if ex is not None else [])
    out["events"].append({
        "uid": str(e.get('UID')),
        "summary": str(e.get('SUMMARY')),
        "status": str(e.get('STATUS', '')),
        "sequence": int(e.get('SEQUENCE', 0)),
        "start": e.decoded('DTSTART').isoformat(),
        "rrule": e.get('RRULE').to_ical().decode() if e.get('RRULE') else None,
        "exdates": [d.dt.isoformat() for x in exs for d in x.dts],
        "recurrence_id": e.decoded('RECURRENCE-ID').isoformat() if e.get('RECURRENCE-ID') else None,
    })
print(json.dumps(out))
"#;
    let out = std::process::Command::new("/usr/bin/python3")
        .arg("-c")
        .arg(script)
        .arg(&path)
        .output()
        .expect("python3 (run scripts/setup.sh)");
    assert!(
        out.status.success(),
        "python3 icalendar could not read the .ics (run scripts/setup.sh for python3-icalendar): {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn holidays_are_kept_by_admins_and_read_by_everyone() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let owner = server.setup_owner().await;
        let member = server.seed_member(&owner.org_id, Role::Member).await;
        let day = |d: &str| owner.org_path(&format!("/holidays/{d}"));

        owner
            .client
            .put(&day("2026-12-25"), json!({"name": "Hari Raya Natal"}))
            .await
            .expect(200);
        owner
            .client
            .put(&day("2026-12-24"), json!({"name": "Cuti bersama"}))
            .await
            .expect(200);
        owner
            .client
            .put(&day("2027-01-01"), json!({"name": "Tahun Baru"}))
            .await
            .expect(200);
        // Renaming is a put again.
        owner
            .client
            .put(&day("2026-12-24"), json!({"name": "Cuti bersama Natal"}))
            .await
            .expect(200);
        let list = member
            .client
            .get(&member.org_path("/holidays?year=2026"))
            .await
            .expect(200);
        assert_eq!(
            list,
            json!([
                {"day": "2026-12-24", "name": "Cuti bersama Natal"},
                {"day": "2026-12-25", "name": "Hari Raya Natal"}
            ])
        );

        // Bad input changes nothing.
        for bad in ["2026-02-30", "25-12-2026", "2026-1-1", "kemarin"] {
            owner
                .client
                .put(&day(bad), json!({"name": "X"}))
                .await
                .error(422, "validation.invalid");
        }
        owner
            .client
            .put(&day("2026-08-17"), json!({"name": " "}))
            .await
            .error(422, "validation.required");
        member
            .client
            .put(&day("2026-08-17"), json!({"name": "Kemerdekaan"}))
            .await
            .error(403, "auth.forbidden");
        member
            .client
            .get(&member.org_path("/holidays?year=99999"))
            .await
            .error(422, "validation.invalid");

        owner.client.delete(&day("2026-12-24")).await.expect(204);
        owner
            .client
            .delete(&day("2026-12-24"))
            .await
            .error(404, "not_found");
        let list = member
            .client
            .get(&member.org_path("/holidays?year=2026"))
            .await
            .expect(200);
        assert_eq!(list.as_array().map(Vec::len), Some(1));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduled_meetings_reach_invitees_calendars_and_calendar_apps() {
    on_both(|backend| async move {
        let options = Options {
            clock: Clock::manual(at(MONDAY_MORNING)),
            ..Options::default()
        };
        let server = TestServer::start_with(backend, options).await;
        let owner = server.setup_owner().await;
        let by_unit = server.seed_member(&owner.org_id, Role::Member).await;
        let by_name = server.seed_member(&owner.org_id, Role::Member).await;
        let outsider = server.seed_member(&owner.org_id, Role::Member).await;
        let o = &owner.client;
        let dinas = o
            .post(&owner.org_path("/units"), json!({"name": "Dinas"}))
            .await
            .expect(201);
        let seksi = o
            .post(
                &owner.org_path("/units"),
                json!({"name": "Seksi", "parent_id": dinas["id"]}),
            )
            .await
            .expect(201);
        o.patch(
            &owner.org_path(&format!("/members/{}", by_unit.id)),
            json!({"unit_id": seksi["id"]}),
        )
        .await
        .expect(200);

        // Bad series are refused and make nothing.
        let meetings = owner.org_path("/meetings");
        o.post(
            &meetings,
            json!({"title": "X", "schedule": {"start": "2026-11-30T09:00", "duration_minutes": 30,
                "recurrence": {"freq": "weekly", "weekdays": ["mo"], "until": "2026-11-29"}}}),
        )
        .await
        .error(422, "schedule.no_occurrences");
        o.post(
            &meetings,
            json!({"title": "X", "schedule": {"start": "30/11/2026 09:00", "duration_minutes": 30}}),
        )
        .await
        .error(422, "validation.invalid");
        o.post(
            &meetings,
            json!({"title": "X", "schedule": {"start": "2026-11-30T09:00", "duration_minutes": 30, "time_zone": "Mars/Olympus"}}),
        )
        .await
        .error(422, "validation.time_zone");
        o.post(
            &meetings,
            json!({"title": "X", "schedule": {"start": "2026-11-30T09:00", "duration_minutes": 30},
                "invitees": {"user_ids": [uuid::Uuid::now_v7().to_string()]}}),
        )
        .await
        .error(422, "validation.invalid");

        // Mondays 09:00 WIB, four times, for a unit (its sub-unit's member too) and a person.
        let m = o
            .post(
                &meetings,
                json!({"title": "Stand-up mingguan", "agenda": "Kemajuan; hambatan",
                    "schedule": {"start": "2026-11-30T09:00", "time_zone": "Asia/Jakarta", "duration_minutes": 30,
                        "recurrence": {"freq": "weekly", "weekdays": ["mo"], "count": 4}},
                    "invitees": {"unit_ids": [dinas["id"]], "user_ids": [by_name.id]}}),
            )
            .await
            .expect(201);
        assert_eq!(m["kind"], "scheduled");
        assert_eq!(m["next_occurrence"]["start"], "2026-11-30T02:00:00Z");
        assert_eq!(m["schedule"]["time_zone"], "Asia/Jakarta");
        assert!(!str_of(&m["schedule"]["summary"]).is_empty());
        let mid = str_of(&m["id"]);
        let path = |rest: &str| owner.org_path(&format!("/meetings/{mid}{rest}"));
        let invitees = o.get(&path("/invitees")).await.expect(200);
        assert_eq!(invitees["people_count"], 2);

        let (from, to) = ("2026-11-23T00:00:00Z", "2027-01-31T00:00:00Z");
        let weekly = [
            "2026-11-30T02:00:00Z",
            "2026-12-07T02:00:00Z",
            "2026-12-14T02:00:00Z",
            "2026-12-21T02:00:00Z",
        ];
        assert_eq!(starts(&calendar(&by_unit, from, to).await), weekly);
        assert_eq!(starts(&calendar(&by_name, from, to).await), weekly);
        assert_eq!(starts(&calendar(&owner, from, to).await), weekly);
        assert!(calendar(&outsider, from, to).await.is_empty());
        owner
            .client
            .get(&owner.org_path("/calendar?from=2026-01-01T00:00:00Z&to=2026-12-31T00:00:00Z"))
            .await
            .error(422, "validation.invalid");

        // Invitations arrive from the organisation's bot.
        let said = kantor_says(&server, &by_unit, 1).await;
        assert!(said[0].contains("Stand-up mingguan"), "{said:?}");
        assert!(said[0].contains("Sen, 30 Nov 2026 09.00 WIB"), "{said:?}");
        assert!(from_kantor(&outsider).await.is_empty());

        // One occurrence cancelled, one moved; a date that is no occurrence is refused.
        o.put(&path("/occurrences/2026-12-07"), json!({"cancelled": true}))
            .await
            .expect(200);
        o.put(
            &path("/occurrences/2026-12-14"),
            json!({"start": "2026-12-15T10:00"}),
        )
        .await
        .expect(200);
        o.put(&path("/occurrences/2026-12-08"), json!({"cancelled": true}))
            .await
            .error(422, "schedule.unknown_occurrence");
        by_name
            .client
            .put(&path("/occurrences/2026-12-21"), json!({"cancelled": true}))
            .await
            .error(403, "meeting.not_host");
        let seen = calendar(&by_unit, from, to).await;
        assert_eq!(
            starts(&seen),
            ["2026-11-30T02:00:00Z", "2026-12-15T03:00:00Z", "2026-12-21T02:00:00Z"]
        );
        assert_eq!(seen[1]["occurrence"]["moved"], true);
        assert_eq!(seen[1]["occurrence"]["date"], "2026-12-14");

        // The invitation, read by a real iCalendar parser.
        let ics = o.get(&path("/invitation.ics")).await;
        assert_eq!(ics.status, 200);
        let text = ics.text.clone();
        assert!(text.starts_with("BEGIN:VCALENDAR\r\n"), "{text}");
        let parsed = parse_ics(&text);
        let events = parsed["events"].as_array().expect("events");
        let main = events
            .iter()
            .find(|e| e["recurrence_id"].is_null())
            .expect("the series");
        assert_eq!(main["summary"], "Stand-up mingguan");
        assert!(str_of(&main["rrule"]).contains("FREQ=WEEKLY"), "{main}");
        assert!(str_of(&main["rrule"]).contains("COUNT=4"), "{main}");
        assert_eq!(main["start"], "2026-11-30T09:00:00+07:00");
        assert_eq!(main["exdates"], json!(["2026-12-07T09:00:00+07:00"]));
        let moved = events
            .iter()
            .find(|e| !e["recurrence_id"].is_null())
            .expect("the moved occurrence");
        assert_eq!(moved["uid"], main["uid"]);
        assert_eq!(moved["start"], "2026-12-15T10:00:00+07:00");

        // The reminder, 10 minutes before the first occurrence.
        let before = from_kantor(&by_name).await.len();
        server.clock.advance_ms(at("2026-11-30T01:50:00Z") - at(MONDAY_MORNING));
        let said = kantor_says(&server, &by_name, before + 1).await;
        assert!(
            said.iter().any(|s| s.contains("mulai 10 menit lagi")),
            "{said:?}"
        );

        // The feed: a secret URL, replaced when made again.
        let feed = by_unit
            .client
            .post_empty(&by_unit.org_path("/calendar/feed"))
            .await
            .expect(200);
        let url = str_of(&feed["url"]);
        let feed_path = &url[url.find("/calendar/").expect("a feed path")..];
        let got = server.client().get(feed_path).await;
        assert_eq!(got.status, 200);
        let parsed = parse_ics(&got.text);
        assert!(str_of(&parsed["name"]).contains(&by_unit.name));
        assert!(!parsed["events"].as_array().expect("events").is_empty());
        by_unit
            .client
            .post_empty(&by_unit.org_path("/calendar/feed"))
            .await
            .expect(200);
        server.client().get(feed_path).await.error(404, "not_found");

        // Only the host cancels the series; then it leaves every calendar.
        by_name.client.delete(&path("")).await.error(403, "meeting.not_host");
        o.delete(&path("")).await.expect(204);
        o.delete(&path("")).await.error(410, "meeting.cancelled");
        assert!(calendar(&by_unit, "2026-11-30T00:00:00Z", to).await.is_empty());
        let cancelled = parse_ics(&o.get(&path("/invitation.ics")).await.text);
        assert_eq!(cancelled["events"][0]["status"], "CANCELLED");
        let said = kantor_says(&server, &by_unit, from_kantor(&by_unit).await.len()).await;
        let _ = said;

        // Another organisation sees none of it.
        let other = server.seed_org("Lain").await;
        other
            .client
            .get(&other.org_path(&format!("/meetings/{mid}/invitation.ics")))
            .await
            .error(404, "not_found");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weekday_series_skip_the_organisations_holidays() {
    on_both(|backend| async move {
        let options = Options {
            clock: Clock::manual(at(MONDAY_MORNING)),
            ..Options::default()
        };
        let server = TestServer::start_with(backend, options).await;
        let owner = server.setup_owner().await;
        owner
            .client
            .put(&owner.org_path("/holidays/2026-12-25"), json!({"name": "Hari Raya Natal"}))
            .await
            .expect(200);
        // Makassar time (WITA, UTC+8): 08:00 there is 00:00 UTC.
        let m = owner
            .client
            .post(
                &owner.org_path("/meetings"),
                json!({"title": "Apel pagi", "schedule": {"start": "2026-12-21T08:00", "time_zone": "Asia/Makassar",
                    "duration_minutes": 15, "recurrence": {"freq": "weekdays", "count": 5}}}),
            )
            .await
            .expect(201);
        assert_eq!(m["kind"], "scheduled");
        let seen = calendar(&owner, "2026-12-20T00:00:00Z", "2027-01-10T00:00:00Z").await;
        assert_eq!(
            starts(&seen),
            [
                "2026-12-21T00:00:00Z",
                "2026-12-22T00:00:00Z",
                "2026-12-23T00:00:00Z",
                "2026-12-24T00:00:00Z",
                "2026-12-28T00:00:00Z"
            ]
        );
        let ics = parse_ics(&owner.client.get(&owner.org_path(&format!("/meetings/{}/invitation.ics", str_of(&m["id"])))).await.text);
        let main = &ics["events"][0];
        assert!(str_of(&main["rrule"]).contains("BYDAY=MO,TU,WE,TH,FR"), "{main}");
        assert_eq!(main["exdates"], json!(["2026-12-25T08:00:00+08:00"]));
    })
    .await;
}
