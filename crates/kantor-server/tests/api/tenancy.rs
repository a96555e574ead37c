//! Tenant isolation and role checks, generated from the OpenAPI document: every operation under
//! `/api/v1/orgs/{org_id}` must be classified in [`OPERATIONS`] (the test fails on a new one),
//! must answer 404 to members of another organisation, and 403 to roles below its minimum.

use std::collections::{BTreeMap, BTreeSet};

use kantor_core::role::Role;
use reqwest::Method;
use serde_json::{json, Value};

use crate::common::{on_both, str_of, Client, Resp, TestServer, User};

/// The least role an operation needs (with the body given below). `MeetingHost` is not an
/// organisation role: the meeting's host (or a cohost) — every other member gets 403
/// `meeting.not_host`. `HrOrMeetingHost`: HR, admins, the meeting's host and cohosts (and unit
/// leaders for their unit) — every other member gets 404, so the meeting's existence is not
/// revealed (attendance).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum MinRole {
    Member,
    HrOrMeetingHost,
    Hr,
    Admin,
    MeetingHost,
}

#[derive(Clone, Copy, Debug)]
enum Body {
    None,
    Json(&'static str),
    Csv,
}

struct Operation {
    method: &'static str,
    path: &'static str,
    min: MinRole,
    body: Body,
}

const fn op(method: &'static str, path: &'static str, min: MinRole, body: Body) -> Operation {
    Operation {
        method,
        path,
        min,
        body,
    }
}

use Body::{Csv, Json, None as NoBody};
use MinRole::{Admin, Hr, HrOrMeetingHost, MeetingHost, Member};

/// Every organisation operation and the least role it needs. A new endpoint fails the test
/// until it is added here.
const OPERATIONS: &[Operation] = &[
    op("get", "/api/v1/orgs/{org_id}", Member, NoBody),
    op(
        "patch",
        "/api/v1/orgs/{org_id}",
        Admin,
        Json(r#"{"name": "Dinas Penyusup"}"#),
    ),
    op("get", "/api/v1/orgs/{org_id}/members", Member, NoBody),
    op(
        "get",
        "/api/v1/orgs/{org_id}/members/{user_id}",
        Member,
        NoBody,
    ),
    // A role change needs an admin (HR may edit unit, position and number).
    op(
        "patch",
        "/api/v1/orgs/{org_id}/members/{user_id}",
        Admin,
        Json(r#"{"role": "admin"}"#),
    ),
    op(
        "post",
        "/api/v1/orgs/{org_id}/members/{user_id}/deactivate",
        Admin,
        NoBody,
    ),
    op(
        "post",
        "/api/v1/orgs/{org_id}/members/{user_id}/reactivate",
        Admin,
        NoBody,
    ),
    op(
        "post",
        "/api/v1/orgs/{org_id}/members/{user_id}/password-reset",
        Admin,
        NoBody,
    ),
    op("get", "/api/v1/orgs/{org_id}/units", Member, NoBody),
    op(
        "post",
        "/api/v1/orgs/{org_id}/units",
        Admin,
        Json(r#"{"name": "Bidang Penyusup"}"#),
    ),
    op(
        "patch",
        "/api/v1/orgs/{org_id}/units/{unit_id}",
        Admin,
        Json(r#"{"name": "Bidang Penyusup"}"#),
    ),
    op(
        "delete",
        "/api/v1/orgs/{org_id}/units/{unit_id}",
        Admin,
        NoBody,
    ),
    op("get", "/api/v1/orgs/{org_id}/invites", Admin, NoBody),
    op(
        "post",
        "/api/v1/orgs/{org_id}/invites",
        Admin,
        Json(r#"{"role": "member"}"#),
    ),
    op(
        "delete",
        "/api/v1/orgs/{org_id}/invites/{invite_id}",
        Admin,
        NoBody,
    ),
    op("post", "/api/v1/orgs/{org_id}/imports", Hr, Csv),
    op(
        "get",
        "/api/v1/orgs/{org_id}/imports/{import_id}",
        Hr,
        NoBody,
    ),
    op(
        "post",
        "/api/v1/orgs/{org_id}/imports/{import_id}/confirm",
        Hr,
        Json(r#"{"skip_invalid": true}"#),
    ),
    op("get", "/api/v1/orgs/{org_id}/audit", Admin, NoBody),
    // Chat. Archiving and removing members need the channel's owner or an admin.
    op("get", "/api/v1/orgs/{org_id}/chat/conversations", Member, NoBody),
    op(
        "post",
        "/api/v1/orgs/{org_id}/chat/conversations",
        Member,
        Json(r#"{"kind": "public", "name": "penyusup"}"#),
    ),
    op("get", "/api/v1/orgs/{org_id}/chat/channels", Member, NoBody),
    op("get", "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}", Member, NoBody),
    op("patch", "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}", Member, Json(r#"{"topic": "disusupi"}"#)),
    op("post", "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/join", Member, NoBody),
    op("post", "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/leave", Member, NoBody),
    op("post", "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/archive", Admin, NoBody),
    op("post", "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/unarchive", Admin, NoBody),
    op("get", "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/members", Member, NoBody),
    op("post", "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/members", Member, Json(r#"{"user_ids": []}"#)),
    op("delete", "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/members/{user_id}", Admin, NoBody),
    op("put", "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/members/{user_id}/role", Admin, Json(r#"{"role": "poster"}"#)),
    op("get", "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/read-status", Member, NoBody),
    op("get", "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/messages/{message_id}/readers", Admin, NoBody),
    op("post", "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/messages/{message_id}/remind", Member, NoBody),
    op("patch", "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/me", Member, Json(r#"{"muted": true}"#)),
    op("post", "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/read", Member, Json(r#"{"seq": 1}"#)),
    op("get", "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/messages", Member, NoBody),
    op(
        "post",
        "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/messages",
        Member,
        Json(r#"{"client_key": "penyusup-1", "body": "halo"}"#),
    ),
    op("patch", "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/messages/{message_id}", Member, Json(r#"{"body": "diubah"}"#)),
    op("delete", "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/messages/{message_id}", Member, NoBody),
    op("get", "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/messages/{message_id}/thread", Member, NoBody),
    op("get", "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/messages/{message_id}/edits", Member, NoBody),
    op("put", "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/messages/{message_id}/reactions/{emoji}", Member, NoBody),
    op("delete", "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/messages/{message_id}/reactions/{emoji}", Member, NoBody),
    op("put", "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/messages/{message_id}/pin", Member, NoBody),
    op("delete", "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/messages/{message_id}/pin", Member, NoBody),
    op("get", "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/pins", Member, NoBody),
    op(
        "post",
        "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/scheduled",
        Member,
        Json(r#"{"body": "nanti", "send_at": "2099-01-01T00:00:00Z"}"#),
    ),
    op("get", "/api/v1/orgs/{org_id}/chat/scheduled", Member, NoBody),
    op(
        "delete",
        "/api/v1/orgs/{org_id}/chat/scheduled/{scheduled_id}",
        Member,
        NoBody,
    ),
    op("post", "/api/v1/orgs/{org_id}/chat/files", Member, NoBody),
    op("get", "/api/v1/orgs/{org_id}/chat/presence", Member, NoBody),
    // Chat retention and export: admins only.
    op("get", "/api/v1/orgs/{org_id}/chat/retention", Admin, NoBody),
    op("put", "/api/v1/orgs/{org_id}/chat/retention", Admin, Json(r#"{"keep_days": 1}"#)),
    op("put", "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/legal-hold", Admin, Json(r#"{"on": true}"#)),
    op("get", "/api/v1/orgs/{org_id}/chat/exports", Admin, NoBody),
    op("post", "/api/v1/orgs/{org_id}/chat/exports", Admin, Json(r#"{}"#)),
    op("get", "/api/v1/orgs/{org_id}/chat/exports/{export_id}/download", Admin, NoBody),
    op("get", "/api/v1/orgs/{org_id}/chat/search", Member, NoBody),
    // Integrations. Incoming webhooks: admins and channel owners create, everyone lists and
    // deletes their own (the handlers check); outgoing webhooks and the allow-list: admins.
    op("get", "/api/v1/orgs/{org_id}/chat/webhooks/incoming", Member, NoBody),
    op("post", "/api/v1/orgs/{org_id}/chat/webhooks/incoming", Member, Json(r#"{"conversation_id": "x", "name": "Penyusup"}"#)),
    op("delete", "/api/v1/orgs/{org_id}/chat/webhooks/incoming/{webhook_id}", Member, NoBody),
    op("get", "/api/v1/orgs/{org_id}/chat/webhooks/outgoing", Admin, NoBody),
    op("post", "/api/v1/orgs/{org_id}/chat/webhooks/outgoing", Admin, Json(r#"{"url": "https://127.0.0.1/", "name": "Penyusup", "trigger_words": ["x"]}"#)),
    op("delete", "/api/v1/orgs/{org_id}/chat/webhooks/outgoing/{webhook_id}", Admin, NoBody),
    op("get", "/api/v1/orgs/{org_id}/chat/webhooks/allow-list", Admin, NoBody),
    op("put", "/api/v1/orgs/{org_id}/chat/webhooks/allow-list", Admin, Json(r#"{"hosts": []}"#)),
    op("get", "/api/v1/orgs/{org_id}/bots", Admin, NoBody),
    op("post", "/api/v1/orgs/{org_id}/bots", Admin, Json(r#"{"name": "Robot Penyusup"}"#)),
    op("delete", "/api/v1/orgs/{org_id}/bots/{user_id}", Admin, NoBody),
    op("post", "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/messages/{message_id}/actions", Member, Json(r#"{"action_id": "setuju"}"#)),
    // Slash commands, polls and reminders: any member (the handlers check conversation
    // membership, poll authorship and reminder ownership); a bot's commands and interaction
    // URL: the bot itself or an admin.
    op("put", "/api/v1/orgs/{org_id}/bots/{user_id}/commands", Admin, Json(r#"{"commands": [{"name": "penyusup"}]}"#)),
    op("put", "/api/v1/orgs/{org_id}/bots/{user_id}/interaction-url", Admin, Json(r#"{"url": null}"#)),
    op("get", "/api/v1/orgs/{org_id}/chat/commands", Member, NoBody),
    op("post", "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/commands", Member, Json(r#"{"text": "/poll \"Q\" \"a\" \"b\"", "client_key": "penyusup"}"#)),
    op("get", "/api/v1/orgs/{org_id}/chat/reminders", Member, NoBody),
    op("delete", "/api/v1/orgs/{org_id}/chat/reminders/{reminder_id}", Member, NoBody),
    op("get", "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/messages/{message_id}/poll", Member, NoBody),
    op("put", "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/messages/{message_id}/poll/vote", Member, Json(r#"{"options": [0]}"#)),
    op("post", "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/messages/{message_id}/poll/close", Member, NoBody),
    // Meetings. Running one needs its host (or a cohost), whatever the organisation role.
    op("get", "/api/v1/orgs/{org_id}/meetings", Member, NoBody),
    op("post", "/api/v1/orgs/{org_id}/meetings", Member, Json(r#"{"title": "Rapat Penyusup"}"#)),
    op("get", "/api/v1/orgs/{org_id}/meetings/{meeting_id}", Member, NoBody),
    op("get", "/api/v1/orgs/{org_id}/meetings/personal", Member, NoBody),
    op("get", "/api/v1/orgs/{org_id}/holidays", Member, NoBody),
    op("delete", "/api/v1/orgs/{org_id}/meetings/{meeting_id}", MeetingHost, NoBody),
    op("get", "/api/v1/orgs/{org_id}/meetings/{meeting_id}/invitees", Member, NoBody),
    op("put", "/api/v1/orgs/{org_id}/meetings/{meeting_id}/occurrences/{date}", MeetingHost, Json(r#"{"cancelled": true}"#)),
    op("get", "/api/v1/orgs/{org_id}/meetings/{meeting_id}/invitation.ics", Member, NoBody),
    op("get", "/api/v1/orgs/{org_id}/calendar", Member, NoBody),
    op("post", "/api/v1/orgs/{org_id}/calendar/feed", Member, NoBody),
    op("put", "/api/v1/orgs/{org_id}/holidays/{day}", Admin, Json(r#"{"name": "Libur Penyusup"}"#)),
    op("delete", "/api/v1/orgs/{org_id}/holidays/{day}", Admin, NoBody),
    op("patch", "/api/v1/orgs/{org_id}/meetings/{meeting_id}", MeetingHost, Json(r#"{"locked": true}"#)),
    op("post", "/api/v1/orgs/{org_id}/meetings/{meeting_id}/end", MeetingHost, NoBody),
    op("post", "/api/v1/orgs/{org_id}/meetings/{meeting_id}/mute-all", MeetingHost, NoBody),
    op("get", "/api/v1/orgs/{org_id}/meetings/{meeting_id}/participants", MeetingHost, NoBody),
    op("get", "/api/v1/orgs/{org_id}/meetings/{meeting_id}/attendance", HrOrMeetingHost, NoBody),
    op("get", "/api/v1/orgs/{org_id}/meetings/{meeting_id}/attendance.xlsx", HrOrMeetingHost, NoBody),
    op("get", "/api/v1/orgs/{org_id}/meetings/{meeting_id}/attendance.csv", HrOrMeetingHost, NoBody),
    op(
        "post",
        "/api/v1/orgs/{org_id}/meetings/{meeting_id}/participants/{participant_id}/{action}",
        MeetingHost,
        NoBody,
    ),
    op(
        "post",
        "/api/v1/orgs/{org_id}/meetings/{meeting_id}/participants/{participant_id}/rename",
        MeetingHost,
        Json(r#"{"name": "Penyusup"}"#),
    ),
];

const CSV: &str = "nama;email\nPenyusup;penyusup@luar.go.id\n";

/// The ids to put into a path.
#[derive(Clone)]
struct Ids {
    org: String,
    user: String,
    unit: String,
    invite: String,
    import: String,
    conversation: String,
    message: String,
    scheduled: String,
    meeting: String,
    /// The host's own participant row in `meeting`.
    participant: String,
}

/// An organisation with one of everything.
async fn populate(owner: &User, member: &User) -> Ids {
    let c = &owner.client;
    let unit = c
        .post(&owner.org_path("/units"), json!({"name": "Bidang Rahasia"}))
        .await
        .expect(201);
    let invite = c
        .post(&owner.org_path("/invites"), json!({"role": "member"}))
        .await
        .expect(201);
    let import = c
        .send_bytes(
            Method::POST,
            &owner.org_path("/imports"),
            "text/csv",
            "nama;email\nOrang Dalam;orang.dalam@dalam.go.id\n",
        )
        .await
        .expect(201);
    let channel = c
        .post(
            &owner.org_path("/chat/conversations"),
            json!({"kind": "public", "name": "umum"}),
        )
        .await
        .expect(201);
    let conversation = str_of(&channel["id"]);
    let message = c
        .post(
            &owner.org_path(&format!("/chat/conversations/{conversation}/messages")),
            // A poll, so the poll endpoints have one to read; every other message endpoint
            // treats it as any message.
            json!({"client_key": uuid::Uuid::now_v7().to_string(), "poll": {"question": "rahasia", "options": ["ya", "tidak"]}}),
        )
        .await
        .expect(201);
    let later = (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24)).to_string();
    let scheduled = c
        .post(
            &owner.org_path(&format!("/chat/conversations/{conversation}/scheduled")),
            json!({"body": "nanti", "send_at": later}),
        )
        .await
        .expect(201);
    let meeting = c
        .post(
            &owner.org_path("/meetings"),
            // Scheduled, so the schedule endpoints have one to read.
            json!({"title": "Rapat Rahasia", "schedule": {"start": "2030-01-07T09:00", "duration_minutes": 30,
                "recurrence": {"freq": "weekly", "count": 3}}}),
        )
        .await
        .expect(201);
    let joined = c
        .post(
            "/api/v1/meet/join",
            json!({"number": meeting["number"], "passcode": meeting["passcode"]}),
        )
        .await
        .expect(200);
    Ids {
        org: owner.org_id.clone(),
        user: member.id.clone(),
        unit: str_of(&unit["id"]),
        invite: str_of(&invite["id"]),
        import: str_of(&import["id"]),
        conversation,
        message: str_of(&message["id"]),
        scheduled: str_of(&scheduled["id"]),
        meeting: str_of(&meeting["id"]),
        participant: str_of(&joined["participant"]["id"]),
    }
}

/// Fills `{org_id}` with `org` and every other `{…}` with `rest`'s ids (random for unknown).
fn fill(path: &str, org: &str, rest: &Ids) -> String {
    let mut out = String::new();
    let mut tail = path;
    while let Some(start) = tail.find('{') {
        out.push_str(&tail[..start]);
        let end = start + tail[start..].find('}').expect("closing brace");
        let value = match &tail[start + 1..end] {
            "org_id" => org.to_string(),
            "user_id" => rest.user.clone(),
            "unit_id" => rest.unit.clone(),
            "invite_id" => rest.invite.clone(),
            "import_id" => rest.import.clone(),
            "conversation_id" => rest.conversation.clone(),
            "message_id" => rest.message.clone(),
            "scheduled_id" => rest.scheduled.clone(),
            "meeting_id" => rest.meeting.clone(),
            "participant_id" => rest.participant.clone(),
            "action" => "mute".to_string(),
            "emoji" => "%F0%9F%91%8D".to_string(),
            "day" => "2026-12-25".to_string(),
            "date" => "2030-01-14".to_string(),
            _ => uuid::Uuid::now_v7().to_string(),
        };
        out.push_str(&value);
        tail = &tail[end + 1..];
    }
    out.push_str(tail);
    out
}

async fn call(client: &Client, op: &Operation, path: &str) -> Resp {
    let method = Method::from_bytes(op.method.to_uppercase().as_bytes()).expect("method");
    match op.body {
        Body::None => client.send(client.request(method, path)).await,
        Body::Json(text) => {
            let body: Value = serde_json::from_str(text).expect("body JSON");
            client.send(client.request(method, path).json(&body)).await
        }
        Body::Csv => client.send_bytes(method, path, "text/csv", CSV).await,
    }
}

/// Everything a member of organisation B can see of it, to prove nothing changed.
async fn snapshot(owner: &User) -> Vec<Value> {
    let mut out = Vec::new();
    for rest in [
        "",
        "/units",
        "/invites",
        "/members",
        "/audit",
        "/chat/conversations",
        "/chat/channels",
        "/chat/scheduled",
        "/meetings",
    ] {
        out.push(owner.client.get(&owner.org_path(rest)).await.expect(200));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_org_operation_is_isolated_and_role_checked() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let owner_a = server.setup_owner().await;
        let member_a = server.seed_member(&owner_a.org_id, Role::Member).await;
        let hr_a = server.seed_member(&owner_a.org_id, Role::Hr).await;
        let owner_b = server.seed_org("Dinas Tetangga").await;
        let member_b = server.seed_member(&owner_b.org_id, Role::Member).await;
        let ids_a = populate(&owner_a, &member_a).await;
        let ids_b = populate(&owner_b, &member_b).await;
        let b_before = snapshot(&owner_b).await;
        let import_b = owner_b
            .client
            .get(&owner_b.org_path(&format!("/imports/{}", ids_b.import)))
            .await
            .expect(200);

        // The table and the spec name the same operations.
        let spec = server
            .client()
            .get("/api/v1/openapi.json")
            .await
            .expect(200);
        let in_spec: BTreeSet<(String, String)> = spec["paths"]
            .as_object()
            .expect("paths")
            .iter()
            .filter(|(path, _)| path.contains("{org_id}"))
            .flat_map(|(path, item)| {
                item.as_object()
                    .expect("path item")
                    .keys()
                    .filter(|m| {
                        [
                            "get", "put", "post", "delete", "patch", "head", "options", "trace",
                        ]
                        .contains(&m.as_str())
                    })
                    .map(|m| (m.clone(), path.clone()))
                    .collect::<Vec<_>>()
            })
            .collect();
        let in_table: BTreeSet<(String, String)> = OPERATIONS
            .iter()
            .map(|o| (o.method.to_string(), o.path.to_string()))
            .collect();
        let unclassified: Vec<_> = in_spec.difference(&in_table).collect();
        assert!(
            unclassified.is_empty(),
            "classify these operations in tenancy::OPERATIONS: {unclassified:?}"
        );
        let stale: Vec<_> = in_table.difference(&in_spec).collect();
        assert!(stale.is_empty(), "no longer in the spec: {stale:?}");
        assert_eq!(
            in_table.len(),
            OPERATIONS.len(),
            "no duplicates in the table"
        );

        let mut wrong = BTreeMap::new();
        for op in OPERATIONS {
            // Organisation B's ids, as organisation A's strongest and weakest roles.
            let path = fill(op.path, &ids_b.org, &ids_b);
            for (who, user) in [("owner A", &owner_a), ("member A", &member_a)] {
                let r = call(&user.client, op, &path).await;
                if (r.status, r.code()) != (404, "not_found") {
                    wrong.insert(format!("{who} {} {path}", op.method), r.to_string());
                }
            }
            // Organisation A's path with B's resource ids (placeholders named `…_id`; a
            // holiday's `{day}` is a key of A's own list, not a resource of B's).
            let ids = op
                .path
                .split('{')
                .skip(1)
                .filter(|s| s.split('}').next().is_some_and(|n| n.ends_with("_id")))
                .count();
            if ids > 1 {
                let path = fill(op.path, &ids_a.org, &ids_b);
                let r = call(&owner_a.client, op, &path).await;
                if (r.status, r.code()) != (404, "not_found") {
                    wrong.insert(
                        format!("owner A {} {path} (B's ids)", op.method),
                        r.to_string(),
                    );
                }
            }
        }
        assert!(wrong.is_empty(), "must answer 404 not_found: {wrong:#?}");

        // Below the minimum role: 403. At or above it, reads succeed.
        let ids_a_owner_target = Ids {
            user: owner_a.id.clone(),
            ..ids_a.clone()
        };
        let mut wrong = BTreeMap::new();
        for op in OPERATIONS {
            let path = fill(op.path, &ids_a.org, &ids_a_owner_target);
            for (role, user) in [(Member, &member_a), (Hr, &hr_a)] {
                let r = call(&user.client, op, &path).await;
                let ok = if role < op.min {
                    let expected = match op.min {
                        MeetingHost => (403, "meeting.not_host"),
                        HrOrMeetingHost => (404, "not_found"),
                        _ => (403, "auth.forbidden"),
                    };
                    (r.status, r.code()) == expected
                } else if op.method == "get" {
                    r.status == 200
                } else {
                    continue;
                };
                if !ok {
                    wrong.insert(format!("{role:?} {} {}", op.method, op.path), r.to_string());
                }
            }
        }
        assert!(wrong.is_empty(), "role checks: {wrong:#?}");

        // Organisation B is exactly as it was.
        assert_eq!(snapshot(&owner_b).await, b_before);
        assert_eq!(
            owner_b
                .client
                .get(&owner_b.org_path(&format!("/imports/{}", ids_b.import)))
                .await
                .expect(200),
            import_b
        );
        // And references across organisations in bodies are refused.
        let o = &owner_a.client;
        for (path, body, field) in [
            (
                "/units",
                json!({"name": "X", "parent_id": ids_b.unit}),
                "parent_id",
            ),
            (
                "/units",
                json!({"name": "X", "leader_user_id": member_b.id}),
                "leader_user_id",
            ),
            (
                "/invites",
                json!({"role": "member", "unit_id": ids_b.unit}),
                "unit_id",
            ),
        ] {
            let r = o.post(&owner_a.org_path(path), body).await;
            assert_eq!(r.error(422, "validation.invalid")["field"], field);
        }
        let r = o
            .patch(
                &owner_a.org_path(&format!("/members/{}", member_a.id)),
                json!({"unit_id": ids_b.unit}),
            )
            .await;
        assert_eq!(r.error(422, "validation.invalid")["field"], "unit_id");
        let r = o
            .patch(
                &owner_a.org_path(&format!("/units/{}", ids_a.unit)),
                json!({"parent_id": ids_b.unit}),
            )
            .await;
        assert_eq!(r.error(422, "validation.invalid")["field"], "parent_id");
        // Nor does a member of B read A's people.
        member_b
            .client
            .get(&format!(
                "/api/v1/orgs/{}/members/{}",
                ids_a.org, member_a.id
            ))
            .await
            .error(404, "not_found");
    })
    .await;
}
