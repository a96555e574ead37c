//! Slash commands: `/poll` (votes counted exactly under concurrency, closing, 409 after close),
//! `/remind` (for oneself, someone else and a conversation, delivered by the job on the test
//! clock, listing and cancelling), bots' own commands (registration rules, delivery over the
//! bot's socket and its signed interaction URL, the bot's answer posted) and an outgoing
//! webhook target's answer — on SQLite and PostgreSQL.

use std::time::Duration;

use kantor_core::role::Role;
use serde_json::{json, Value};

use crate::common::{on_both, str_of, TestServer, User, WAIT};
use crate::integrations::{delivered, join, key, messages, public_channel, Receiver};

async fn command(user: &User, cid: &str, text: &str) -> crate::common::Resp {
    command_keyed(user, cid, text, &key()).await
}

async fn command_keyed(user: &User, cid: &str, text: &str, k: &str) -> crate::common::Resp {
    user.client
        .post(
            &user.org_path(&format!("/chat/conversations/{cid}/commands")),
            json!({"text": text, "client_key": k}),
        )
        .await
}

fn channel_name() -> String {
    format!("c-{}", crate::common::unique())
}

/// Runs due jobs until `done` holds (bounded by `WAIT`).
async fn jobs_until<F, Fut>(server: &TestServer, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + WAIT;
    while !done().await {
        kantor_server::jobs::run_due(server.state())
            .await
            .expect("the job runner");
        assert!(tokio::time::Instant::now() < deadline, "not done in time");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polls_count_votes_and_close() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let owner = server.setup_owner().await;
        let member = server.seed_member(&owner.org_id, Role::Member).await;
        let outsider = server.seed_member(&owner.org_id, Role::Member).await;
        let cid = public_channel(&owner, &channel_name()).await;
        join(&member, &cid).await;

        // Bad commands change nothing.
        command(&member, &cid, "/poll \"Makan?\" \"Warung\"")
            .await
            .error(422, "chat.poll_options");
        command(&member, &cid, "/poll Makan Warung Kantin")
            .await
            .error(422, "chat.command_usage");
        command(&member, &cid, "/tidakada apa")
            .await
            .error(422, "chat.unknown_command");
        command(&outsider, &cid, "/poll \"Q\" \"a\" \"b\"")
            .await
            .error(403, "chat.not_member");
        assert!(messages(&owner, &cid).await.is_empty());

        // One poll per client key, however often it is sent.
        let k = key();
        let made = command_keyed(&member, &cid, "/poll \"Makan siang di mana?\" “Warung” \"Kantin\" \"Bawa bekal\"", &k)
            .await
            .expect(200);
        assert_eq!(made["outcome"], "poll");
        command_keyed(&member, &cid, "/poll \"Makan siang di mana?\" “Warung” \"Kantin\" \"Bawa bekal\"", &k)
            .await
            .expect(200);
        let seen = messages(&owner, &cid).await;
        assert_eq!(seen.len(), 1);
        let poll_msg = &seen[0];
        assert_eq!(poll_msg["body"], "Makan siang di mana?");
        assert_eq!(poll_msg["poll"]["options"][1]["text"], "Kantin");
        assert_eq!(poll_msg["poll"]["multiple"], false);
        let mid = str_of(&poll_msg["id"]);
        let base = owner.org_path(&format!("/chat/conversations/{cid}/messages/{mid}/poll"));

        // Votes: one option, existing ones; members only; a vote replaces the last.
        let mut owner_ws = owner.client.ws(None).await;
        owner_ws.hello().await;
        member
            .client
            .put(&format!("{base}/vote"), json!({"options": [0, 1]}))
            .await
            .error(422, "chat.poll_option");
        member
            .client
            .put(&format!("{base}/vote"), json!({"options": [3]}))
            .await
            .error(422, "chat.poll_option");
        outsider
            .client
            .put(&format!("{base}/vote"), json!({"options": [0]}))
            .await
            .error(403, "chat.not_member");
        member
            .client
            .put(&format!("{base}/vote"), json!({"options": [0]}))
            .await
            .expect(200);
        let state = member
            .client
            .put(&format!("{base}/vote"), json!({"options": [1]}))
            .await
            .expect(200);
        assert_eq!(state["my_votes"], json!([1]));
        assert_eq!(state["poll"]["options"][0]["votes"], 0);
        assert_eq!(state["poll"]["options"][1]["votes"], 1);
        assert_eq!(state["voters"][1]["users"][0]["id"], member.id.as_str());
        // Others see the counts change live.
        let ev = loop {
            let e = owner_ws.event_of_kind("chat.message.updated").await;
            if e["data"]["poll"]["voters"] == 1 && e["data"]["poll"]["options"][1]["votes"] == 1 {
                break e;
            }
        };
        assert_eq!(ev["data"]["id"], mid.as_str());

        // Twelve people vote at once: counted exactly.
        let mut voters = Vec::new();
        for _ in 0..12 {
            let u = server.seed_member(&owner.org_id, Role::Member).await;
            join(&u, &cid).await;
            voters.push(u);
        }
        let votes = voters.iter().enumerate().map(|(i, u)| {
            let url = format!("{base}/vote");
            async move {
                u.client
                    .put(&url, json!({"options": [i % 3]}))
                    .await
                    .expect(200);
            }
        });
        futures::future::join_all(votes).await;
        let state = owner.client.get(&base).await.expect(200);
        assert_eq!(state["poll"]["voters"], 13);
        let counts: Vec<i64> = (0..3)
            .map(|i| state["poll"]["options"][i]["votes"].as_i64().unwrap_or(-1))
            .collect();
        assert_eq!(counts, [4, 5, 4]);
        assert_eq!(state["my_votes"], json!([]));

        // A poll is not edited; only its author, owners and admins close it.
        member
            .client
            .patch(
                &owner.org_path(&format!("/chat/conversations/{cid}/messages/{mid}")),
                json!({"body": "lain"}),
            )
            .await
            .error(422, "chat.poll_not_editable");
        voters[0]
            .client
            .post_empty(&format!("{base}/close"))
            .await
            .error(403, "auth.forbidden");
        let closed = member
            .client
            .post_empty(&format!("{base}/close"))
            .await
            .expect(200);
        assert_eq!(closed["poll"]["closed"], true);
        voters[1]
            .client
            .put(&format!("{base}/vote"), json!({"options": [0]}))
            .await
            .error(409, "chat.poll_closed");
        let state = owner.client.get(&base).await.expect(200);
        assert_eq!(state["poll"]["voters"], 13);

        // A multiple-choice poll made through the messages API.
        let multi = owner
            .client
            .post(
                &owner.org_path(&format!("/chat/conversations/{cid}/messages")),
                json!({"client_key": key(), "poll": {"question": "Hari rapat?", "options": ["Senin", "Rabu", "Jumat"], "multiple": true}}),
            )
            .await
            .expect(201);
        let multi_base = owner.org_path(&format!(
            "/chat/conversations/{cid}/messages/{}/poll",
            str_of(&multi["id"])
        ));
        let state = member
            .client
            .put(&format!("{multi_base}/vote"), json!({"options": [2, 0, 2]}))
            .await
            .expect(200);
        assert_eq!(state["my_votes"], json!([0, 2]));
        assert_eq!(state["poll"]["voters"], 1);
        // Someone else's poll id in another organisation: 404.
        let other = server.seed_org("Lain").await;
        other
            .client
            .get(&other.org_path(&format!(
                "/chat/conversations/{cid}/messages/{mid}/poll"
            )))
            .await
            .error(404, "not_found");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reminders_arrive_at_their_time() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let owner = server.setup_owner().await;
        let member = server.seed_member(&owner.org_id, Role::Member).await;
        let cid = public_channel(&owner, &channel_name()).await;
        join(&member, &cid).await;

        command(&owner, &cid, "/remind me laporan")
            .await
            .error(422, "chat.command_usage");
        command(&owner, &cid, "/remind me laporan on 2000-01-01")
            .await
            .error(422, "chat.remind_past");
        command(&owner, &cid, "/remind <@nobody> laporan in 5 minutes")
            .await
            .error(422, "chat.unknown_person");

        let k = key();
        let mine = command_keyed(
            &owner,
            &cid,
            "/remind me to kirim laporan in 10 minutes",
            &k,
        )
        .await
        .expect(200);
        assert_eq!(mine["outcome"], "reminder_set");
        assert_eq!(mine["reminder"]["text"], "kirim laporan");
        assert_eq!(mine["reminder"]["target"], "me");
        // The same key again: the same reminder.
        let again = command_keyed(
            &owner,
            &cid,
            "/remind me to kirim laporan in 10 minutes",
            &k,
        )
        .await
        .expect(200);
        assert_eq!(again["reminder"]["id"], mine["reminder"]["id"]);
        let theirs = command(
            &owner,
            &cid,
            &format!("/ingatkan <@{}> isi absen dalam 10 menit", member.id),
        )
        .await
        .expect(200);
        assert_eq!(theirs["reminder"]["target"], "person");
        assert_eq!(theirs["reminder"]["user"]["id"], member.id.as_str());
        let here = command(&owner, &cid, "/remind here stand-up dalam 10 menit")
            .await
            .expect(200);
        assert_eq!(here["reminder"]["target"], "conversation");
        let cancelled = command(&owner, &cid, "/remind me batal in 10 minutes")
            .await
            .expect(200);

        let list = command(&owner, &cid, "/remind list").await.expect(200);
        assert_eq!(list["outcome"], "reminder_list");
        assert_eq!(list["reminders"].as_array().map(Vec::len), Some(4));
        let one = owner.org_path(&format!(
            "/chat/reminders/{}",
            str_of(&cancelled["reminder"]["id"])
        ));
        member.client.delete(&one).await.error(404, "not_found");
        owner.client.delete(&one).await.expect(204);
        owner
            .client
            .delete(&one)
            .await
            .error(409, "chat.reminder_done");
        let pending = owner
            .client
            .get(&owner.org_path("/chat/reminders"))
            .await
            .expect(200);
        assert_eq!(pending.as_array().map(Vec::len), Some(3));

        // Nothing before its time.
        kantor_server::jobs::run_due(server.state())
            .await
            .expect("jobs");
        assert!(messages(&owner, &cid).await.is_empty());
        server.clock.advance_ms(10 * 60_000 + 1_000);

        // The conversation reminder is its author's message there.
        jobs_until(&server, || async {
            owner
                .client
                .get(&owner.org_path("/chat/reminders"))
                .await
                .expect(200)
                .as_array()
                .is_some_and(Vec::is_empty)
        })
        .await;
        let seen = messages(&member, &cid).await;
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0]["body"], "⏰ Pengingat: stand-up");
        assert_eq!(seen[0]["author"]["id"], owner.id.as_str());

        // The personal ones come from the organisation's bot, in a direct message.
        let dms = |u: &User| {
            let path = u.org_path("/chat/conversations");
            let client = u.client.clone();
            async move {
                let all = client.get(&path).await.expect(200);
                all.as_array()
                    .expect("conversations")
                    .iter()
                    .filter(|c| c["kind"] == "dm")
                    .map(|c| str_of(&c["id"]))
                    .collect::<Vec<_>>()
            }
        };
        let owner_dm = dms(&owner).await;
        assert_eq!(owner_dm.len(), 1);
        let got = messages(&owner, &owner_dm[0]).await;
        assert_eq!(got.len(), 1);
        assert_eq!(got[0]["body"], "⏰ Pengingat: kirim laporan");
        assert_eq!(got[0]["author"]["name"], "Kantor");
        let member_dm = dms(&member).await;
        assert_eq!(member_dm.len(), 1);
        let got = messages(&member, &member_dm[0]).await;
        assert_eq!(
            got[0]["body"],
            format!("⏰ Pengingat dari <@{}>: isi absen", owner.id)
        );
        let kantor = messages(&owner, &owner_dm[0]).await[0]["author"]["id"].clone();
        assert_eq!(got[0]["author"]["id"], kantor);
        // The organisation's own bot is not one admins list, configure or delete.
        let bots = owner.client.get(&owner.org_path("/bots")).await.expect(200);
        assert_eq!(bots, json!([]));
        owner
            .client
            .delete(&owner.org_path(&format!("/bots/{}", str_of(&kantor))))
            .await
            .error(404, "not_found");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bot_commands_reach_the_bot_and_its_answer_is_posted() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let owner = server.setup_owner().await;
        let member = server.seed_member(&owner.org_id, Role::Member).await;
        let cid = public_channel(&owner, &channel_name()).await;
        join(&member, &cid).await;
        let made = owner
            .client
            .post(&owner.org_path("/bots"), json!({"name": "Robot Rilis"}))
            .await
            .expect(201);
        let bot_id = str_of(&made["id"]);
        let bot = server.bearer(&str_of(&made["token"]));
        let other = owner
            .client
            .post(&owner.org_path("/bots"), json!({"name": "Robot Lain"}))
            .await
            .expect(201);
        let cmds = owner.org_path(&format!("/bots/{bot_id}/commands"));

        // Registration rules.
        bot.put(&cmds, json!({"commands": [{"name": "poll"}]}))
            .await
            .error(422, "chat.command_reserved");
        bot.put(&cmds, json!({"commands": [{"name": "2x"}]}))
            .await
            .error(422, "validation.invalid");
        member
            .client
            .put(&cmds, json!({"commands": [{"name": "deploy"}]}))
            .await
            .error(403, "auth.forbidden");
        bot.put(
            &cmds,
            json!({"commands": [{"name": "Deploy", "description": "Rilis ke server", "usage": "[lingkungan]"}]}),
        )
        .await
        .expect(200);
        server
            .bearer(&str_of(&other["token"]))
            .put(
                &owner.org_path(&format!("/bots/{}/commands", str_of(&other["id"]))),
                json!({"commands": [{"name": "deploy"}]}),
            )
            .await
            .error(409, "chat.command_taken");
        let listed = member
            .client
            .get(&member.org_path("/chat/commands"))
            .await
            .expect(200);
        let names: Vec<&str> = listed
            .as_array()
            .expect("commands")
            .iter()
            .filter_map(|c| c["name"].as_str())
            .collect();
        assert_eq!(names, ["poll", "remind", "deploy"]);

        // Through its socket: the bot must be in the conversation.
        command(&member, &cid, "/deploy produksi")
            .await
            .error(422, "chat.bot_not_in_conversation");
        owner
            .client
            .post(
                &owner.org_path(&format!("/chat/conversations/{cid}/members")),
                json!({"user_ids": [bot_id]}),
            )
            .await
            .expect(204);
        let mut bot_ws = bot.ws(None).await;
        bot_ws.hello().await;
        let ran = command(&member, &cid, "/deploy produksi").await.expect(200);
        assert_eq!(ran["outcome"], "bot");
        assert_eq!(ran["bot"]["name"], "Robot Rilis");
        let ev = bot_ws.event_of_kind("chat.bot.command").await;
        assert_eq!(ev["data"]["command"], "/deploy");
        assert_eq!(ev["data"]["text"], "produksi");
        assert_eq!(ev["data"]["user"]["id"], member.id.as_str());
        assert_eq!(ev["data"]["conversation_id"], cid.as_str());

        // Through its interaction URL: address rules, a signed POST, the answer posted.
        let url_path = owner.org_path(&format!("/bots/{bot_id}/interaction-url"));
        let receiver = Receiver::answering(0, json!({"text": "Deploy ke produksi dimulai"})).await;
        bot.put(&url_path, json!({"url": receiver.url}))
            .await
            .error(422, "webhook.https_required");
        bot.put(&url_path, json!({"url": "https://127.0.0.1/x"}))
            .await
            .error(422, "webhook.address_refused");
        owner
            .client
            .put(
                &owner.org_path("/chat/webhooks/allow-list"),
                json!({"hosts": ["127.0.0.1"]}),
            )
            .await
            .expect(200);
        let set = bot.put(&url_path, json!({"url": receiver.url})).await.expect(200);
        let secret = str_of(&set["signing_secret"]);
        assert!(secret.starts_with("kb_"));
        command(&member, &cid, "/deploy produksi").await.expect(200);
        delivered(&server, &receiver, 1).await;
        let got = receiver.got.lock().expect("receiver").clone();
        let expected = kantor_server::outbound::sign(&secret, got[0].timestamp.parse().unwrap_or(0), &got[0].body);
        assert_eq!(got[0].signature, expected);
        let body: Value = serde_json::from_slice(&got[0].body).expect("json");
        assert_eq!(body["type"], "command");
        assert_eq!(body["user"]["id"], member.id.as_str());
        jobs_until(&server, || async {
            messages(&member, &cid)
                .await
                .iter()
                .any(|m| m["body"] == "Deploy ke produksi dimulai" && m["author"]["id"] == bot_id.as_str())
        })
        .await;

        // A click goes there too, and `replace_original` edits the clicked message.
        let edit = Receiver::answering(0, json!({"text": "Disetujui oleh atasan", "replace_original": true})).await;
        bot.put(&url_path, json!({"url": edit.url})).await.expect(200);
        let msgs = owner.org_path(&format!("/chat/conversations/{cid}/messages"));
        let posted = bot
            .post(&msgs, json!({"client_key": key(), "body": "Setujui rilis?", "interactive": {"buttons": [{"action_id": "ok", "label": "Setujui", "value": "v2"}]}}))
            .await
            .expect(201);
        let mid = str_of(&posted["id"]);
        member
            .client
            .post(&format!("{msgs}/{mid}/actions"), json!({"action_id": "ok"}))
            .await
            .expect(202);
        delivered(&server, &edit, 1).await;
        jobs_until(&server, || async {
            messages(&member, &cid)
                .await
                .iter()
                .any(|m| m["id"] == mid.as_str() && m["body"] == "Disetujui oleh atasan" && m["interactive"].is_null())
        })
        .await;
        bot.put(&url_path, json!({"url": null})).await.expect(200);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outgoing_webhook_answer_is_posted_by_its_bot() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let owner = server.setup_owner().await;
        let member = server.seed_member(&owner.org_id, Role::Member).await;
        let cid = public_channel(&owner, &channel_name()).await;
        join(&member, &cid).await;
        let receiver = Receiver::answering(0, json!({"text": "Cuaca Jakarta: cerah, 31°C"})).await;
        owner
            .client
            .put(
                &owner.org_path("/chat/webhooks/allow-list"),
                json!({"hosts": ["127.0.0.1"]}),
            )
            .await
            .expect(200);
        owner
            .client
            .post(
                &owner.org_path("/chat/webhooks/outgoing"),
                json!({"conversation_id": cid, "url": receiver.url, "name": "Cuaca", "trigger_words": ["cuaca"]}),
            )
            .await
            .expect(201);
        member
            .client
            .post(
                &member.org_path(&format!("/chat/conversations/{cid}/messages")),
                json!({"client_key": key(), "body": "cuaca jakarta"}),
            )
            .await
            .expect(201);
        delivered(&server, &receiver, 1).await;
        jobs_until(&server, || async {
            messages(&member, &cid)
                .await
                .iter()
                .any(|m| m["body"] == "Cuaca Jakarta: cerah, 31°C" && m["author"]["name"] == "Cuaca")
        })
        .await;
        // The webhook's bot is the webhook's, not one of the admins' bots.
        let bots = owner.client.get(&owner.org_path("/bots")).await.expect(200);
        assert_eq!(bots, json!([]));
        // The bot's own message did not trigger the webhook again: a delivery is queued in the
        // post's transaction, and there is still only the one for the member's message.
        let deliveries: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM jobs WHERE kind = 'chat.webhook.deliver'",
        )
        .fetch_one(server.state().store.reader())
        .await
        .expect("count jobs");
        assert_eq!(deliveries, 1);
        assert_eq!(receiver.count(), 1);
    })
    .await;
}
