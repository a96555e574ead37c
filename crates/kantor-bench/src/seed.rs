//! Seeding straight into the store, for scenarios too large to create over HTTP in reasonable
//! time (5,000 people each with an API token; 100,000 messages).
//!
//! It runs after `kantor admin bootstrap` has created and migrated the database and before the
//! server starts, through `kantor_store`'s own insert functions — the same rows the API writes,
//! without argon2 (people get no password, only an API token) and without outbox events (nothing
//! is listening yet). API tokens are random `kt_…` strings of which only the SHA-256 is stored,
//! as `kantor admin token issue` does.

use std::time::Instant;

use anyhow::{bail, Context};
use kantor_core::chat::Kind;
use kantor_core::ids::{ConversationId, OrgId, UserId};
use kantor_core::role::{MemberStatus, Role};
use kantor_store::{accounts, chat, orgs, Store, StoreOptions};
use rand::seq::SliceRandom;
use rand::Rng;
use sha2::{Digest, Sha256};

use crate::server::unique;

/// Where the spawned server keeps its data: the SQLite file in the data directory, or a fresh
/// PostgreSQL database made for this run (dropped by [`Database::drop_if_postgres`]).
pub struct Database {
    /// Passed to the server as `KANTOR_DATABASE_URL` (`None`: SQLite in the data directory).
    pub server_url: Option<String>,
    /// What this process opens to seed.
    pub seed_url: String,
    /// PostgreSQL: the server to drop the database on, and its name.
    postgres: Option<(String, String)>,
}

impl Database {
    /// SQLite in `data_dir`, or a new database on the PostgreSQL server `pg_base_url`.
    pub async fn new(
        data_dir: &std::path::Path,
        pg_base_url: Option<&str>,
    ) -> anyhow::Result<Self> {
        let Some(base) = pg_base_url else {
            return Ok(Self {
                server_url: None,
                seed_url: format!("sqlite://{}?mode=rwc", data_dir.join("kantor.db").display()),
                postgres: None,
            });
        };
        let name = format!("kantor_bench_{}", unique().replace('-', "_"));
        let admin = Store::connect(base, &StoreOptions { max_connections: 1 })
            .await
            .context("cannot connect to PostgreSQL")?;
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(admin.reader())
            .await
            .context("cannot create the benchmark database")?;
        admin.close().await;
        let url = with_database(base, &name);
        Ok(Self {
            server_url: Some(url.clone()),
            seed_url: url,
            postgres: Some((base.to_string(), name)),
        })
    }

    pub async fn open(&self) -> anyhow::Result<Store> {
        Store::open(&self.seed_url, &StoreOptions { max_connections: 4 })
            .await
            .context("cannot open the database to seed it")
    }

    /// Drops the PostgreSQL database made for this run (the server must have stopped).
    pub async fn drop_if_postgres(&self) {
        let Some((base, name)) = &self.postgres else {
            return;
        };
        let result = async {
            let admin = Store::connect(base, &StoreOptions { max_connections: 1 }).await?;
            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(admin.reader())
                .await?;
            admin.close().await;
            anyhow::Ok(())
        }
        .await;
        if let Err(e) = result {
            eprintln!("could not drop the benchmark database {name}: {e:#}");
        }
    }
}

/// `postgres://…/db?x` with the database name replaced.
fn with_database(base: &str, name: &str) -> String {
    let (head, query) = match base.split_once('?') {
        Some((h, q)) => (h, Some(q)),
        None => (base, None),
    };
    let scheme_end = head.find("://").map_or(0, |i| i + 3);
    let head = match head[scheme_end..].find('/') {
        Some(i) => &head[..scheme_end + i],
        None => head,
    };
    match query {
        Some(q) => format!("{head}/{name}?{q}"),
        None => format!("{head}/{name}"),
    }
}

/// A person made for the benchmark, with the API token that authenticates them.
pub struct Person {
    pub id: UserId,
    pub token: String,
}

/// A public channel and its members (indices into the people).
pub struct Channel {
    pub id: ConversationId,
    pub members: Vec<usize>,
}

fn new_token() -> (String, String) {
    let bytes: [u8; 32] = rand::thread_rng().gen();
    let token = format!("kt_{}", hex::encode(bytes));
    let hash = hex::encode(Sha256::digest(token.as_bytes()));
    (token, hash)
}

/// `n` active members of `org_id`, each with an API token, in one transaction.
pub async fn people(
    store: &Store,
    org_id: OrgId,
    n: usize,
    now: i64,
) -> anyhow::Result<Vec<Person>> {
    people_as(store, org_id, n, Role::Member, now).await
}

/// [`people`] with the given role in the organisation (chat-fanout's announcer is an admin).
pub async fn people_as(
    store: &Store,
    org_id: OrgId,
    n: usize,
    role: Role,
    now: i64,
) -> anyhow::Result<Vec<Person>> {
    let started = Instant::now();
    let run = unique();
    let mut tx = store.begin().await?;
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let email = format!("pegawai{i}.{run}@bench.kantor.test");
        let name = format!("Pegawai {i}");
        let user = accounts::insert_user(
            &mut tx,
            &accounts::NewUser {
                email: &email,
                name: &name,
                phone: None,
                password_hash: None,
                language: "id",
                time_zone: "Asia/Jakarta",
            },
            now,
        )
        .await?;
        orgs::insert_membership(
            &mut tx,
            &orgs::NewMembership {
                org_id,
                user_id: user.id,
                role,
                status: MemberStatus::Active,
                unit_id: None,
                position: None,
                employee_number: None,
            },
            now,
        )
        .await?;
        let (token, hash) = new_token();
        accounts::insert_token(&mut tx, user.id, "kantor-bench", &hash, now).await?;
        out.push(Person { id: user.id, token });
    }
    tx.commit().await?;
    eprintln!(
        "seeded {n} people with API tokens in {} ms",
        started.elapsed().as_millis()
    );
    Ok(out)
}

/// Public channels of `min..=max` members (sizes uniformly random) such that each person is in
/// 1–3 of them (uniformly random), in one transaction.
pub async fn channels(
    store: &Store,
    org_id: OrgId,
    people: &[Person],
    (min, max): (usize, usize),
    now: i64,
) -> anyhow::Result<Vec<Channel>> {
    if people.len() < max || min == 0 || min > max {
        bail!("need at least {max} people for channels of {min}–{max}");
    }
    let started = Instant::now();
    let mut rng = rand::thread_rng();
    // Every person once per channel they should be in, shuffled, then dealt out in channel-sized
    // hands; someone dealt twice into one hand goes back into the deck.
    let mut deck: Vec<usize> = (0..people.len())
        .flat_map(|i| std::iter::repeat_n(i, rng.gen_range(1..=3)))
        .collect();
    deck.shuffle(&mut rng);
    let mut plans: Vec<Vec<usize>> = Vec::new();
    while !deck.is_empty() {
        let size = rng.gen_range(min..=max);
        let mut members: Vec<usize> = Vec::with_capacity(size);
        let mut put_back = Vec::new();
        while members.len() < size {
            let Some(p) = deck.pop() else { break };
            if members.contains(&p) {
                put_back.push(p);
            } else {
                members.push(p);
            }
        }
        // Top up a short last channel with people not yet in it.
        while members.len() < min {
            let p = rng.gen_range(0..people.len());
            if !members.contains(&p) {
                members.push(p);
            }
        }
        deck.extend(put_back);
        deck.shuffle(&mut rng);
        plans.push(members);
    }
    let run = unique();
    let mut tx = store.begin().await?;
    let mut out = Vec::with_capacity(plans.len());
    for (i, members) in plans.into_iter().enumerate() {
        let name = format!("bench-{i:04}-{run}");
        let creator = people[members[0]].id;
        let id = chat::insert_conversation(
            &mut tx,
            &chat::NewConversation {
                org_id,
                kind: Kind::Public,
                name: Some(&name),
                topic: "",
                description: "",
                dm_key: None,
                created_by: creator,
            },
            now,
        )
        .await?;
        let ids: Vec<UserId> = members.iter().map(|&m| people[m].id).collect();
        chat::add_members(&mut tx, org_id, id, &ids, "member", now).await?;
        out.push(Channel { id, members });
    }
    tx.commit().await?;
    let memberships: usize = out.iter().map(|c| c.members.len()).sum();
    eprintln!(
        "seeded {} channels ({min}–{max} members, {memberships} memberships) in {} ms",
        out.len(),
        started.elapsed().as_millis()
    );
    Ok(out)
}

/// A public channel with `authors` new members and `messages` messages by them, written through
/// `kantor_store::chat::insert_message` in transactions of 5,000.
pub async fn history(
    store: &Store,
    org_id: OrgId,
    authors: &[Person],
    messages: usize,
    now: i64,
) -> anyhow::Result<ConversationId> {
    let started = Instant::now();
    let run = unique();
    let name = format!("riwayat-{run}");
    let mut tx = store.begin().await?;
    let id = conversation_of(&mut tx, org_id, Kind::Public, &name, authors, now).await?;
    let mut rng = rand::thread_rng();
    // Spread over the last 30 days, oldest first.
    let start = now - 30 * 24 * 3_600_000;
    let step = (30 * 24 * 3_600_000 / messages.max(1) as i64).max(1);
    for i in 0..messages {
        if i > 0 && i % 5_000 == 0 {
            tx.commit().await?;
            tx = store.begin().await?;
        }
        let author = &authors[rng.gen_range(0..authors.len())];
        let body = message_text(&mut rng, i);
        let key = format!("hist-{i}");
        chat::insert_message(
            &mut tx,
            &chat::NewMessage {
                org_id,
                conversation_id: id,
                author_id: author.id,
                client_key: &key,
                body: &body,
                mentions: "[]",
                attachments: "[]",
                quote: None,
                forwarded: None,
                mention_here: false,
                mention_channel: false,
                thread_root_id: None,
                in_channel: true,
            },
            start + i as i64 * step,
        )
        .await?;
    }
    tx.commit().await?;
    eprintln!(
        "seeded {messages} messages in one channel in {} ms",
        started.elapsed().as_millis()
    );
    Ok(id)
}

/// A private channel of all `members` (the first creates it), in one transaction: a group too
/// big to fill over HTTP one invitation at a time.
pub async fn private_group(
    store: &Store,
    org_id: OrgId,
    members: &[Person],
    now: i64,
) -> anyhow::Result<ConversationId> {
    let started = Instant::now();
    let name = format!("pengumuman-{}", unique());
    let mut tx = store.begin().await?;
    let id = conversation_of(&mut tx, org_id, Kind::Private, &name, members, now).await?;
    tx.commit().await?;
    eprintln!(
        "seeded a private channel of {} members in {} ms",
        members.len(),
        started.elapsed().as_millis()
    );
    Ok(id)
}

/// A conversation named `name` with `members` in it, the first as its creator.
async fn conversation_of(
    tx: &mut kantor_store::Conn,
    org_id: OrgId,
    kind: Kind,
    name: &str,
    members: &[Person],
    now: i64,
) -> anyhow::Result<ConversationId> {
    let creator = members.first().context("a conversation needs a member")?.id;
    let id = chat::insert_conversation(
        tx,
        &chat::NewConversation {
            org_id,
            kind,
            name: Some(name),
            topic: "",
            description: "",
            dm_key: None,
            created_by: creator,
        },
        now,
    )
    .await?;
    let ids: Vec<UserId> = members.iter().map(|m| m.id).collect();
    chat::add_members(tx, org_id, id, &ids, "member", now).await?;
    Ok(id)
}

/// A plausible office message of 40–200 characters.
pub fn message_text(rng: &mut impl Rng, n: usize) -> String {
    const WORDS: [&str; 24] = [
        "rapat",
        "koordinasi",
        "laporan",
        "anggaran",
        "jam",
        "besok",
        "pagi",
        "tolong",
        "dicek",
        "dokumen",
        "sudah",
        "dikirim",
        "ke",
        "bagian",
        "keuangan",
        "terima",
        "kasih",
        "nanti",
        "siang",
        "ruang",
        "lantai",
        "dua",
        "revisi",
        "final",
    ];
    let target = rng.gen_range(40..=200);
    let mut s = format!("#{n}");
    while s.len() < target {
        s.push(' ');
        s.push_str(WORDS[rng.gen_range(0..WORDS.len())]);
    }
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn database_names_are_swapped_in_urls() {
        assert_eq!(
            super::with_database("postgres://u@127.0.0.1:5432/postgres", "b"),
            "postgres://u@127.0.0.1:5432/b"
        );
        assert_eq!(
            super::with_database("postgres://u:p@h:1/x?sslmode=disable", "b"),
            "postgres://u:p@h:1/b?sslmode=disable"
        );
        assert_eq!(super::with_database("postgres://h", "b"), "postgres://h/b");
    }
}
