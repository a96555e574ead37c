//! Storage conformance: every body runs on a temporary SQLite file and on a fresh PostgreSQL
//! database, so the one SQL path behaves the same on both.

use std::collections::HashSet;
use std::future::Future;

use kantor_core::event::Audience;
use kantor_core::ids::OrgId;
use kantor_core::role::{MemberStatus, Role};
use kantor_store::accounts::{self, NewUser};
use kantor_store::events;
use kantor_store::jobs::{self, NewJob};
use kantor_store::orgs::{self, MemberQuery, NewMembership};
use kantor_store::testing::{TestBackend, TestDb, BOTH};
use kantor_store::{Store, StoreError};

async fn on_both<F, Fut>(body: F)
where
    F: Fn(Store, TestBackend) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    for backend in BOTH {
        let db = TestDb::new(backend).await.expect("test database");
        let store = db.open().await.expect("open and migrate");
        body(store.clone(), backend)
            .await
            .unwrap_or_else(|e| panic!("{backend:?}: {e:#}"));
        store.close().await;
    }
}

fn user<'a>(email: &'a str, name: &'a str) -> NewUser<'a> {
    NewUser {
        email,
        name,
        phone: None,
        password_hash: None,
        language: "id",
        time_zone: "Asia/Jakarta",
    }
}

#[tokio::test]
async fn migrations_are_idempotent() {
    on_both(|store, _| async move {
        assert_eq!(
            kantor_store::migrate::run(&store).await?,
            0,
            "second run applies nothing"
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn text_is_stored_verbatim_and_emails_are_unique() {
    on_both(|store, _| async move {
        let tricky = r#"Robert'); DROP TABLE users;-- "<script>alert(1)</script>" 🎉 Ñ"#;
        let mut tx = store.begin().await?;
        let u = accounts::insert_user(&mut tx, &user("a@x.id", tricky), 1_000).await?;
        tx.commit().await?;
        assert_eq!(store.user(u.id).await?.name, tricky);
        assert!(!u.totp_enabled);

        let mut tx = store.begin().await?;
        let dup = accounts::insert_user(&mut tx, &user("a@x.id", "Other"), 1_000).await;
        assert!(matches!(dup, Err(StoreError::Conflict(_))), "{dup:?}");
        drop(tx);

        let mut tx = store.begin().await?;
        accounts::set_totp(&mut tx, u.id, Some("SECRET"), true, 2_000).await?;
        tx.commit().await?;
        assert!(store.user(u.id).await?.totp_enabled, "flags round-trip");
        Ok(())
    })
    .await;
}

async fn seed_org(store: &Store, members: usize) -> anyhow::Result<OrgId> {
    let mut tx = store.begin().await?;
    let org = orgs::insert_org(&mut tx, "Dinas Kominfo", "Asia/Jakarta", 1).await?;
    for i in 0..members {
        let email = format!("p{i}@kominfo.go.id");
        let name = if i == 3 {
            "Siti Rahmawati".to_string()
        } else {
            format!("Pegawai {i}")
        };
        let u = accounts::insert_user(&mut tx, &user(&email, &name), 1).await?;
        let nip = format!("19870315{i:04}");
        orgs::insert_membership(
            &mut tx,
            &NewMembership {
                org_id: org.id,
                user_id: u.id,
                role: if i == 0 { Role::Owner } else { Role::Member },
                status: MemberStatus::Active,
                unit_id: None,
                position: None,
                employee_number: Some(&nip),
            },
            1,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(org.id)
}

#[tokio::test]
async fn members_are_searched_and_paged_by_cursor() {
    on_both(|store, _| async move {
        let org = seed_org(&store, 25).await?;
        let found = store
            .members(
                org,
                &MemberQuery {
                    q: Some("RAHMA".into()),
                    limit: 50,
                    ..Default::default()
                },
            )
            .await?;
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].user.name, "Siti Rahmawati");
        let by_nip = store
            .members(
                org,
                &MemberQuery {
                    q: Some("0315001".into()),
                    limit: 50,
                    ..Default::default()
                },
            )
            .await?;
        assert_eq!(by_nip.len(), 10, "employee numbers 0010..0019");
        let percent = store
            .members(
                org,
                &MemberQuery {
                    q: Some("%".into()),
                    limit: 50,
                    ..Default::default()
                },
            )
            .await?;
        assert!(percent.is_empty(), "LIKE wildcards are escaped");

        let mut seen = HashSet::new();
        let mut after = None;
        loop {
            let page = store
                .members(
                    org,
                    &MemberQuery {
                        after,
                        limit: 10,
                        ..Default::default()
                    },
                )
                .await?;
            if page.is_empty() {
                break;
            }
            after = page.last().map(|m| m.user.id);
            for m in page {
                assert!(seen.insert(m.user.id), "no member twice");
            }
        }
        assert_eq!(seen.len(), 25);
        let other = OrgId(kantor_store::new_id());
        assert!(store
            .members(
                other,
                &MemberQuery {
                    limit: 50,
                    ..Default::default()
                }
            )
            .await?
            .is_empty());
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn duplicate_employee_numbers_conflict_within_an_org() {
    on_both(|store, _| async move {
        let org = seed_org(&store, 2).await?;
        let members = store
            .members(
                org,
                &MemberQuery {
                    limit: 10,
                    ..Default::default()
                },
            )
            .await?;
        let mut tx = store.begin().await?;
        let r = orgs::update_membership(
            &mut tx,
            org,
            members[1].user.id,
            &orgs::MembershipPatch {
                employee_number: Some(members[0].membership.employee_number.clone()),
                ..Default::default()
            },
            5,
        )
        .await;
        assert!(matches!(r, Err(StoreError::Conflict(_))), "{r:?}");
        Ok(())
    })
    .await;
}

/// Many concurrent writers and two concurrent relays: the relayed sequence is exactly 1..=N,
/// each outbox row once, and a reader polling meanwhile never sees a gap.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn relay_numbers_events_without_gaps_under_concurrent_writers() {
    on_both(|store, _| async move {
        let org = OrgId(kantor_store::new_id());
        const WRITERS: usize = 8;
        const PER_WRITER: usize = 25;
        let mut tasks = Vec::new();
        for w in 0..WRITERS {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                for i in 0..PER_WRITER {
                    let mut tx = store.begin().await?;
                    events::emit(
                        &mut tx,
                        &Audience::Org { org_id: org },
                        "test.event",
                        &serde_json::json!({"w": w, "i": i}),
                        1,
                    )
                    .await?;
                    tx.commit().await?;
                }
                anyhow::Ok(())
            }));
        }
        let total = WRITERS * PER_WRITER;
        let mut relays = Vec::new();
        for _ in 0..2 {
            let store = store.clone();
            relays.push(tokio::spawn(async move {
                let mut got = Vec::new();
                for _ in 0..10_000 {
                    let batch = events::relay_batch(&store, 7).await?;
                    got.extend(batch.iter().map(|e| e.seq));
                    let (last, _) = store.event_bounds().await?;
                    if last as usize >= total {
                        break;
                    }
                    tokio::task::yield_now().await;
                }
                anyhow::Ok(got)
            }));
        }
        // A reader that follows the stream: each read continues exactly after what it saw.
        let reader = {
            let store = store.clone();
            tokio::spawn(async move {
                let mut last = 0i64;
                for _ in 0..100_000 {
                    for e in store.events_after(last, 1000).await? {
                        assert_eq!(e.seq, last + 1, "reader saw a gap");
                        last = e.seq;
                    }
                    if last as usize >= total {
                        break;
                    }
                    tokio::task::yield_now().await;
                }
                anyhow::Ok(last)
            })
        };
        for t in tasks {
            t.await??;
        }
        let mut all = Vec::new();
        for r in relays {
            all.extend(r.await??);
        }
        // Whatever was left after the relays stopped.
        loop {
            let batch = events::relay_batch(&store, 1000).await?;
            if batch.is_empty() {
                break;
            }
            all.extend(batch.iter().map(|e| e.seq));
        }
        all.sort();
        assert_eq!(all, (1..=total as i64).collect::<Vec<_>>());
        assert_eq!(reader.await??, total as i64);
        let payloads: HashSet<String> = store
            .events_after(0, 10_000)
            .await?
            .into_iter()
            .map(|e| e.payload)
            .collect();
        assert_eq!(payloads.len(), total, "each write relayed exactly once");
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn jobs_are_leased_to_one_runner_and_retried() {
    on_both(|store, _| async move {
        let mut tx = store.begin().await?;
        for i in 0..40 {
            jobs::schedule(
                &mut tx,
                &NewJob {
                    kind: "test",
                    payload: &serde_json::json!({ "i": i }),
                    run_at: 100,
                    max_attempts: 2,
                    dedupe_key: None,
                },
                1,
            )
            .await?;
        }
        let deduped_a = jobs::schedule(
            &mut tx,
            &NewJob {
                kind: "once",
                payload: &serde_json::json!({}),
                run_at: 10_000,
                max_attempts: 1,
                dedupe_key: Some("k"),
            },
            1,
        )
        .await?;
        let deduped_b = jobs::schedule(
            &mut tx,
            &NewJob {
                kind: "once",
                payload: &serde_json::json!({}),
                run_at: 10_000,
                max_attempts: 1,
                dedupe_key: Some("k"),
            },
            1,
        )
        .await?;
        assert_eq!(deduped_a, deduped_b);
        tx.commit().await?;

        assert!(
            store.lease_jobs("a", 99, 1_000, 100).await?.is_empty(),
            "not due yet"
        );
        let (a, b) = tokio::join!(
            store.lease_jobs("a", 100, 1_000, 25),
            store.lease_jobs("b", 100, 1_000, 25)
        );
        let (a, b) = (a?, b?);
        assert_eq!(a.len() + b.len(), 40);
        let ids_a: HashSet<_> = a.iter().map(|j| j.id).collect();
        assert!(
            b.iter().all(|j| !ids_a.contains(&j.id)),
            "no job leased twice"
        );

        // a finishes one, fails one; b dies holding its jobs.
        store.finish_job(a[0].id, "a", 200).await?;
        store.fail_job(a[1].id, "a", "boom", 300, 200).await?;
        assert_eq!(store.job(a[0].id).await?.status, "done");
        store.finish_job(a[2].id, "b", 200).await?; // not b's lease: no effect
        assert_eq!(store.job(a[2].id).await?.status, "pending");

        // After b's lease expires its jobs are leased again, with the retried one.
        let again = store.lease_jobs("c", 1_200, 1_000, 100).await?;
        let again_ids: HashSet<_> = again.iter().map(|j| j.id).collect();
        assert!(b.iter().all(|j| again_ids.contains(&j.id)));
        assert!(again_ids.contains(&a[1].id));
        let retried = again.iter().find(|j| j.id == a[1].id).expect("retried job");
        assert_eq!(retried.attempts, 2);
        store
            .fail_job(a[1].id, "c", "boom again", 1_300, 1_250)
            .await?;
        assert_eq!(
            store.job(a[1].id).await?.status,
            "failed",
            "gives up after max_attempts"
        );
        Ok(())
    })
    .await;
}

/// Login limits: a sliding window per key, shared by every connection (and so every node);
/// concurrent attempts never overshoot the limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn login_attempts_are_limited_per_key_in_a_window() {
    on_both(|store, _| async move {
        let keys = |email: &str| {
            vec![
                (format!("e:{email}"), 3u32),
                ("i:10.0.0.1".to_string(), 5u32),
            ]
        };
        let window = 60_000;
        for t in 0..3 {
            assert!(store.login_attempt(&keys("a@x.id"), t, window).await?);
        }
        assert!(
            !store.login_attempt(&keys("a@x.id"), 10, window).await?,
            "email limit"
        );
        assert!(store.login_attempt(&keys("b@x.id"), 11, window).await?);
        assert!(store.login_attempt(&keys("c@x.id"), 12, window).await?);
        assert!(
            !store.login_attempt(&keys("d@x.id"), 13, window).await?,
            "IP limit (5)"
        );
        assert!(
            store
                .login_attempt(&keys("a@x.id")[..1], 60_001, window)
                .await?,
            "the window passed"
        );
        store.clear_login_attempts("e:a@x.id").await?;
        assert!(
            store
                .login_attempt(&keys("a@x.id")[..1], 60_002, window)
                .await?
        );

        // 20 attempts at once on one key with a limit of 7: exactly 7 pass.
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                store
                    .login_attempt(&[("e:burst@x.id".to_string(), 7)], 100_000, window)
                    .await
            }));
        }
        let mut passed = 0;
        for t in tasks {
            passed += usize::from(t.await??);
        }
        assert_eq!(passed, 7);
        // Left: the burst (7), the IP (5), b, c, and a once after its clear.
        assert_eq!(
            store.prune_login_attempts(200_000).await?,
            7 + 5 + 1 + 1 + 1
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn meeting_numbers_are_redrawn_on_collision_and_tokens_find_participants() {
    use kantor_core::meet::{MeetingRole, ParticipantState, Status, WaitingRoom};
    use kantor_store::meet::{self, NewMeeting, NewParticipant};

    on_both(|store, _| async move {
        let mut tx = store.begin().await?;
        let org = orgs::insert_org(&mut tx, "Dinas Kominfo", "Asia/Jakarta", 1).await?;
        let host = accounts::insert_user(&mut tx, &user("host@x.id", "Budi"), 1).await?;
        let new = NewMeeting::instant(
            org.id,
            host.id,
            &host.name,
            "Rapat",
            "123456",
            WaitingRoom::Guests,
            true,
        );
        let first = meet::insert_meeting(&mut tx, &new, || "81234567890".into(), 10).await?;
        // The first draw collides; the second is free. The transaction survives the collision.
        let mut draws = vec!["81234567891".to_string(), "81234567890".to_string()];
        let second =
            meet::insert_meeting(&mut tx, &new, || draws.pop().unwrap_or_default(), 20).await?;
        let again = meet::insert_meeting(&mut tx, &new, || "81234567890".into(), 30).await;
        assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
        let m = meet::meeting(&mut tx, org.id, second).await?;
        assert_eq!(m.number, "81234567891");
        assert_eq!((m.status, m.host_name.as_str()), (Status::Live, "Budi"));
        assert_eq!(
            meet::meeting_by_number(&mut tx, "81234567890").await?.id,
            first
        );
        // The host has a row from creation, not yet in the room.
        let rows = meet::participants(&mut tx, first).await?;
        assert_eq!(rows.len(), 1);
        assert_eq!(
            (rows[0].role, rows[0].state),
            (MeetingRole::Host, ParticipantState::Left)
        );
        let guest = meet::insert_participant(
            &mut tx,
            &NewParticipant {
                meeting_id: first,
                org_id: org.id,
                user_id: None,
                device_key_hash: Some("dev-hash"),
                name: "Tamu",
                role: MeetingRole::Participant,
                state: ParticipantState::Admitted,
                token_hash: Some("token-hash"),
            },
            40,
        )
        .await?;
        assert!(guest.guest);
        // One row per device key in a meeting.
        let dup = meet::insert_participant(
            &mut tx,
            &NewParticipant {
                token_hash: Some("other-token"),
                ..NewParticipant {
                    meeting_id: first,
                    org_id: org.id,
                    user_id: None,
                    device_key_hash: Some("dev-hash"),
                    name: "Tamu",
                    role: MeetingRole::Participant,
                    state: ParticipantState::Waiting,
                    token_hash: None,
                }
            },
            41,
        )
        .await;
        assert!(matches!(dup, Err(StoreError::Conflict(_))), "{dup:?}");
        drop(tx);
        // PostgreSQL aborts a transaction after a unique violation: start again.
        let mut tx = store.begin().await?;
        let org = orgs::insert_org(&mut tx, "Dinas Lain", "Asia/Jakarta", 1).await?;
        let host = accounts::insert_user(&mut tx, &user("host2@x.id", "Ani"), 1).await?;
        let id = meet::insert_meeting(
            &mut tx,
            &NewMeeting {
                org_id: org.id,
                host_id: host.id,
                ..new
            },
            || "9876543210".into(),
            50,
        )
        .await?;
        let p = meet::insert_participant(
            &mut tx,
            &NewParticipant {
                meeting_id: id,
                org_id: org.id,
                user_id: None,
                device_key_hash: None,
                name: "Tamu",
                role: MeetingRole::Participant,
                state: ParticipantState::Admitted,
                token_hash: Some("secret-hash"),
            },
            60,
        )
        .await?;
        tx.commit().await?;
        let (found, m) = store
            .participant_by_token_hash("secret-hash")
            .await?
            .expect("the token's participant");
        assert_eq!((found.id, m.id, m.participant_count), (p.id, id, 1));
        assert!(store.participant_by_token_hash("unknown").await?.is_none());
        assert_eq!(store.participants_of(id).await?.len(), 2);
        assert!(store.set_left(p.id, 70).await?);
        assert!(!store.set_left(p.id, 71).await?, "already left");
        let (found, _) = store
            .participant_by_token_hash("secret-hash")
            .await?
            .expect("still found");
        assert_eq!(
            (found.state, found.updated_at),
            (ParticipantState::Left, 70)
        );
        Ok(())
    })
    .await;
}
