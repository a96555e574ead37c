//! Meeting chat and room isolation — on SQLite and PostgreSQL.
//!
//! Each meeting has a chat conversation (kind `meeting`): members of the organisation join it
//! when admitted and leave it when removed; their lines in the room are chat messages, and
//! messages posted from the chat page reach the room; guests' lines stay in the room. A room
//! that panics ends its own sockets only; other meetings carry on and the meeting reopens.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use kantor_core::ids::MeetingId;
use kantor_core::role::Role;
use kantor_server::meet::RoomCommand;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

use crate::common::{on_both, str_of, Client, TestServer, User};

type Stream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A meeting socket without media: enough for chat, hands and the room's lifecycle.
struct Sock {
    ws: Stream,
}

impl Sock {
    async fn open(base: &str, joined: &Value) -> Sock {
        let url = format!("{}/api/v1/meet/ws", base.replace("http://", "ws://"));
        let (mut ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("meeting ws");
        let hello = json!({"t": "hello", "token": joined["token"]});
        ws.send(Message::Text(hello.to_string().into()))
            .await
            .expect("hello");
        Sock { ws }
    }

    async fn send(&mut self, v: Value) {
        self.ws
            .send(Message::Text(v.to_string().into()))
            .await
            .expect("send");
    }

    /// The next message of type `t` within 10 s (others are skipped); `closed` when the
    /// socket ends.
    async fn next_of(&mut self, t: &str) -> Value {
        let wait = async {
            loop {
                let v: Value = match self.ws.next().await {
                    Some(Ok(Message::Text(text))) => {
                        serde_json::from_str(text.as_str()).expect("json")
                    }
                    Some(Ok(Message::Close(f))) => {
                        json!({"t": "closed", "code": f.map(|f| u16::from(f.code))})
                    }
                    Some(Ok(_)) => continue,
                    None | Some(Err(_)) => json!({"t": "closed"}),
                };
                if v["t"] == t || v["t"] == "closed" {
                    return v;
                }
            }
        };
        tokio::time::timeout(Duration::from_secs(10), wait)
            .await
            .unwrap_or_else(|_| panic!("no {t} message in time"))
    }

    /// The next chat line (its text must be `text`).
    async fn chat(&mut self, text: &str) -> Value {
        let line = self.next_of("chat").await;
        assert_eq!(line["text"], text, "{line}");
        line
    }
}

async fn join(client: &Client, m: &Value, guest_name: Option<&str>) -> Value {
    let mut body = json!({"number": m["number"], "passcode": m["passcode"]});
    if let Some(n) = guest_name {
        body["name"] = json!(n);
        body["device_key"] = json!(uuid::Uuid::now_v7().to_string());
    }
    client.post("/api/v1/meet/join", body).await.expect(200)
}

fn conversation_path(user: &User, cid: &str, rest: &str) -> String {
    user.org_path(&format!("/chat/conversations/{cid}{rest}"))
}

/// Bodies of the conversation's messages, oldest first.
async fn bodies(user: &User, cid: &str) -> Vec<String> {
    let page = user
        .client
        .get(&conversation_path(user, cid, "/messages"))
        .await
        .expect(200);
    page["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| str_of(&m["body"]))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn meeting_chat_is_a_conversation_for_members_and_room_lines_for_guests() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let host = server.seed_org("Dinas Kominfo").await;
        let member = server.seed_member(&host.org_id, Role::Member).await;
        let outsider = server.seed_member(&host.org_id, Role::Member).await;
        let guest = server.client();

        let m = host
            .client
            .post(&host.org_path("/meetings"), json!({"title": "Rapat pagi"}))
            .await
            .expect(201);
        let cid = str_of(&m["conversation_id"]);
        // The host is in the meeting's chat from the start; nobody else yet.
        let c = host
            .client
            .get(&conversation_path(&host, &cid, ""))
            .await
            .expect(200);
        assert_eq!(c["kind"], "meeting");
        assert_eq!(c["topic"], "Rapat pagi");
        member
            .client
            .get(&conversation_path(&member, &cid, ""))
            .await
            .error(404, "not_found");

        let host_joined = join(&host.client, &m, None).await;
        let mut host_sock = Sock::open(&host.client.base, &host_joined).await;
        let welcome = host_sock.next_of("welcome").await;
        assert_eq!(welcome["conversation_id"], cid.as_str());

        // A member is admitted at once and so joins the chat.
        let member_joined = join(&member.client, &m, None).await;
        let mut member_sock = Sock::open(&member.client.base, &member_joined).await;
        member_sock.next_of("welcome").await;
        member
            .client
            .get(&conversation_path(&member, &cid, ""))
            .await
            .expect(200);

        // A guest waits, is admitted, and is not in the chat (no account).
        let guest_joined = join(&guest, &m, Some("Tamu Dinas")).await;
        assert_eq!(guest_joined["participant"]["state"], "waiting");
        let mut guest_sock = Sock::open(&guest.base, &guest_joined).await;
        guest_sock.next_of("waiting").await;
        let guest_id = str_of(&guest_joined["participant"]["id"]);
        let admit = host.org_path(&format!(
            "/meetings/{}/participants/{guest_id}/admit",
            str_of(&m["id"])
        ));
        host.client.post_empty(&admit).await.expect(204);
        let guest_welcome = guest_sock.next_of("welcome").await;
        assert_eq!(guest_welcome["conversation_id"], Value::Null);

        // A member's line is a chat message everyone in the room sees.
        member_sock
            .send(json!({"t": "chat", "text": "Selamat pagi semua"}))
            .await;
        for sock in [&mut host_sock, &mut member_sock, &mut guest_sock] {
            let line = sock.chat("Selamat pagi semua").await;
            assert_eq!(line["user_id"], member.id.as_str());
            assert_eq!(line["id"], member_joined["participant"]["id"]);
            assert!(line["message_id"].is_string(), "{line}");
        }
        assert_eq!(bodies(&host, &cid).await, ["Selamat pagi semua"]);

        // A guest's line reaches the room only.
        guest_sock
            .send(json!({"t": "chat", "text": "Terima kasih"}))
            .await;
        for sock in [&mut host_sock, &mut member_sock, &mut guest_sock] {
            let line = sock.chat("Terima kasih").await;
            assert_eq!(line["id"], guest_id.as_str());
            assert_eq!(line["message_id"], Value::Null);
        }
        assert_eq!(bodies(&host, &cid).await, ["Selamat pagi semua"]);

        // A message posted from the chat page reaches the room, guests included.
        host.client
            .post(
                &conversation_path(&host, &cid, "/messages"),
                json!({"client_key": uuid::Uuid::now_v7().to_string(), "body": "Agenda di atas"}),
            )
            .await
            .expect(201);
        let line = guest_sock.chat("Agenda di atas").await;
        assert_eq!(line["name"], host.name.as_str());
        member_sock.chat("Agenda di atas").await;

        // Someone who enters later sees the history, from the conversation and the room.
        let later = server.seed_member(&host.org_id, Role::Member).await;
        let later_joined = join(&later.client, &m, None).await;
        let mut later_sock = Sock::open(&later.client.base, &later_joined).await;
        let history = later_sock.next_of("chat_history").await;
        let texts: Vec<String> = history["messages"]
            .as_array()
            .expect("history")
            .iter()
            .map(|l| str_of(&l["text"]))
            .collect();
        assert_eq!(
            texts,
            ["Selamat pagi semua", "Terima kasih", "Agenda di atas"]
        );

        // The chat follows the meeting; chat itself cannot make or reshape one.
        let meeting_path = host.org_path(&format!("/meetings/{}", str_of(&m["id"])));
        host.client
            .patch(&meeting_path, json!({"title": "Rapat pagi (lanjutan)"}))
            .await
            .expect(200);
        let c = host
            .client
            .get(&conversation_path(&host, &cid, ""))
            .await
            .expect(200);
        assert_eq!(c["topic"], "Rapat pagi (lanjutan)");
        host.client
            .patch(&conversation_path(&host, &cid, ""), json!({"topic": "x"}))
            .await
            .error(422, "chat.meeting_managed");
        host.client
            .post(
                &conversation_path(&host, &cid, "/members"),
                json!({"user_ids": [outsider.id]}),
            )
            .await
            .error(422, "chat.meeting_managed");
        host.client
            .post(
                &host.org_path("/chat/conversations"),
                json!({"kind": "meeting", "member_ids": []}),
            )
            .await
            .error(422, "chat.meeting_managed");
        // Someone outside the meeting cannot read or write its chat.
        outsider
            .client
            .get(&conversation_path(&outsider, &cid, "/messages"))
            .await
            .error(404, "not_found");

        // Removed from the meeting, removed from its chat.
        let remove = host.org_path(&format!(
            "/meetings/{}/participants/{}/remove",
            str_of(&m["id"]),
            str_of(&member_joined["participant"]["id"])
        ));
        host.client.post_empty(&remove).await.expect(204);
        member
            .client
            .get(&conversation_path(&member, &cid, ""))
            .await
            .error(404, "not_found");
        server.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_room_ends_only_its_own_meeting() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let host = server.seed_org("Kantor Cabang").await;
        let other = server.seed_member(&host.org_id, Role::Member).await;

        let crashing = host
            .client
            .post(&host.org_path("/meetings"), json!({}))
            .await
            .expect(201);
        let steady = other
            .client
            .post(&other.org_path("/meetings"), json!({}))
            .await
            .expect(201);
        let crashing_joined = join(&host.client, &crashing, None).await;
        let mut crashing_sock = Sock::open(&host.client.base, &crashing_joined).await;
        crashing_sock.next_of("welcome").await;
        let steady_joined = join(&other.client, &steady, None).await;
        let mut steady_sock = Sock::open(&other.client.base, &steady_joined).await;
        steady_sock.next_of("welcome").await;
        assert_eq!(server.state().rooms.open_count(), 2);

        let crashing_id: MeetingId = str_of(&crashing["id"]).parse().expect("meeting id");
        server
            .state()
            .rooms
            .command(crashing_id, RoomCommand::Panic);
        // Its socket ends …
        let end = crashing_sock.next_of("welcome").await;
        assert_eq!(end["t"], "closed", "{end}");
        // … the other meeting carries on …
        steady_sock.send(json!({"t": "hand", "up": true})).await;
        let peer = steady_sock.next_of("peer").await;
        assert_eq!(peer["peer"]["hand"], true, "{peer}");
        steady_sock
            .send(json!({"t": "chat", "text": "masih jalan"}))
            .await;
        steady_sock.chat("masih jalan").await;
        // … and the crashed meeting opens afresh for whoever comes back.
        let again = join(&host.client, &crashing, None).await;
        let mut again_sock = Sock::open(&host.client.base, &again).await;
        let welcome = again_sock.next_of("welcome").await;
        assert_eq!(welcome["t"], "welcome");
        assert_eq!(server.state().rooms.open_count(), 2);
        server.shutdown().await;
    })
    .await;
}
