//! Chat search at scale: `--messages` (1,000,000) generated Indonesian/English messages across
//! 1,000 channels, indexed through the write path's own index function, then searched over
//! HTTP by people who are members of only some channels.
//!
//! **Seeding** writes each message with `kantor_store::chat::insert_message` and its index
//! rows with `kantor_store::search::terms` + `index_message` — what a post does in its
//! transaction — in transactions of 5,000 messages; `index_per_s` is messages (rows of both
//! tables) written per second, commits included.
//!
//! **Queries** (`--requests`, 1,000) go one after another over one keep-alive connection per
//! searcher, as 20 people who are each in 20–60 of the channels: a mix of common words, rare
//! words, two-word queries, affixed Indonesian words (stemmed), a phrase, an `in:#channel`
//! filter, a `from:@person` filter and an `after:` date. Every answer must be 200.

use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use hdrhistogram::Histogram;
use kantor_core::chat::Kind;
use kantor_core::ids::{ConversationId, OrgId, UserId};
use kantor_store::{chat, search, Store};
use rand::seq::SliceRandom;
use rand::Rng;

use crate::http::{resolve, Conn};
use crate::seed::Person;

pub const CHANNELS: usize = 1_000;
const AUTHORS: usize = 200;
const SEARCHERS: usize = 20;
const BATCH: usize = 5_000;

/// Vocabulary with a Zipf-like spread: the first words are drawn far more often.
const WORDS: [&str; 64] = [
    "rapat",
    "laporan",
    "anggaran",
    "tolong",
    "dicek",
    "besok",
    "pagi",
    "sudah",
    "dikirim",
    "meeting",
    "report",
    "please",
    "review",
    "dokumen",
    "keuangan",
    "revisi",
    "final",
    "jadwal",
    "koordinasi",
    "kegiatan",
    "pelatihan",
    "pengadaan",
    "mencari",
    "pencarian",
    "dicari",
    "perjalanan",
    "dinas",
    "persetujuan",
    "disetujui",
    "menyetujui",
    "budget",
    "deadline",
    "invoice",
    "kontrak",
    "vendor",
    "server",
    "jaringan",
    "aplikasi",
    "pelaporan",
    "pengumuman",
    "sosialisasi",
    "monitoring",
    "evaluasi",
    "kunjungan",
    "lapangan",
    "teknisi",
    "perbaikan",
    "instalasi",
    "pemeliharaan",
    "inventaris",
    "gudang",
    "pembelian",
    "pengiriman",
    "customer",
    "complaint",
    "feedback",
    "sprint",
    "retrospective",
    "standup",
    "onboarding",
    "cuti",
    "lembur",
    "absensi",
    "kehadiran",
];

/// Words nobody types, one message in ~10,000 carries one.
const RARE: [&str; 8] = [
    "zamrud",
    "kalibrasi",
    "ombudsman",
    "sertifikasi",
    "hibah",
    "banjir",
    "gempa",
    "vaksinasi",
];

fn word(rng: &mut impl Rng) -> &'static str {
    // Zipf-ish: index = floor(64 * u^3).
    let u: f64 = rng.gen();
    WORDS[((u * u * u) * WORDS.len() as f64) as usize % WORDS.len()]
}

fn text(rng: &mut impl Rng) -> String {
    let n = rng.gen_range(6..=24);
    let mut s = String::with_capacity(n * 9);
    for i in 0..n {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(word(rng));
    }
    if rng.gen_ratio(1, 10_000) {
        s.push(' ');
        s.push_str(RARE[rng.gen_range(0..RARE.len())]);
    }
    if rng.gen_ratio(1, 20) {
        s.push_str(" https://kantor.example/dok/");
        s.push_str(&rng.gen_range(1..100_000).to_string());
    }
    s
}

pub struct Seeded {
    pub channel_names: Vec<String>,
    pub searchers: Vec<(Person, Vec<usize>)>,
    pub authors: Vec<Person>,
    pub index_per_s: f64,
}

/// Channels, memberships and `messages` indexed messages, straight into the store.
pub async fn seed(
    store: &Store,
    org_id: OrgId,
    messages: usize,
    now: i64,
) -> anyhow::Result<Seeded> {
    let authors = crate::seed::people(store, org_id, AUTHORS, now).await?;
    let searchers_people = crate::seed::people(store, org_id, SEARCHERS, now).await?;
    let mut rng = rand::thread_rng();
    let run = crate::server::unique();
    let mut tx = store.begin().await?;
    let mut channels: Vec<ConversationId> = Vec::with_capacity(CHANNELS);
    let mut names = Vec::with_capacity(CHANNELS);
    let author_ids: Vec<UserId> = authors.iter().map(|p| p.id).collect();
    for i in 0..CHANNELS {
        let name = format!("kanal-{i:04}-{run}");
        let id = chat::insert_conversation(
            &mut tx,
            &chat::NewConversation {
                org_id,
                kind: Kind::Public,
                name: Some(&name),
                topic: "",
                description: "",
                dm_key: None,
                created_by: author_ids[0],
            },
            now,
        )
        .await?;
        chat::add_members(&mut tx, org_id, id, &author_ids, "member", now).await?;
        channels.push(id);
        names.push(name);
    }
    let mut searchers = Vec::with_capacity(SEARCHERS);
    for p in searchers_people {
        let mut mine: Vec<usize> = (0..CHANNELS).collect();
        mine.shuffle(&mut rng);
        mine.truncate(rng.gen_range(20..=60));
        for &c in &mine {
            chat::add_members(&mut tx, org_id, channels[c], &[p.id], "member", now).await?;
        }
        searchers.push((p, mine));
    }
    tx.commit().await?;
    eprintln!("seeded {CHANNELS} channels; indexing {messages} messages …");
    let started = Instant::now();
    // Spread over the last 180 days, oldest first.
    let span = 180 * 86_400_000_i64;
    let step = (span / messages.max(1) as i64).max(1);
    let first = now - span;
    let mut tx = store.begin().await?;
    for i in 0..messages {
        if i > 0 && i % BATCH == 0 {
            tx.commit().await?;
            tx = store.begin().await?;
            if i % 100_000 == 0 {
                eprintln!(
                    "  {i} messages ({:.0}/s)",
                    i as f64 / started.elapsed().as_secs_f64()
                );
            }
        }
        let c = rng.gen_range(0..CHANNELS);
        let author = author_ids[rng.gen_range(0..AUTHORS)];
        let body = text(&mut rng);
        let key = format!("cari-{i}");
        let at = first + i as i64 * step;
        let (id, _) = chat::insert_message(
            &mut tx,
            &chat::NewMessage {
                org_id,
                conversation_id: channels[c],
                author_id: author,
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
            at,
        )
        .await?;
        let terms = search::terms(&body, "[]");
        search::index_message(
            &mut tx,
            &search::Indexed {
                message_id: id,
                org_id,
                conversation_id: channels[c],
                created_at: at,
            },
            &terms,
        )
        .await?;
    }
    tx.commit().await?;
    let index_per_s = messages as f64 / started.elapsed().as_secs_f64();
    eprintln!(
        "indexed {messages} messages in {:.1} s ({index_per_s:.0}/s)",
        started.elapsed().as_secs_f64()
    );
    Ok(Seeded {
        channel_names: names,
        searchers,
        authors,
        index_per_s,
    })
}

fn encode(q: &str) -> String {
    let mut out = String::new();
    for b in q.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// One query a searcher might type.
fn query(rng: &mut impl Rng, s: &Seeded, mine: &[usize], now: i64) -> String {
    match rng.gen_range(0..10) {
        0 | 1 => word(rng).to_string(),
        2 => RARE[rng.gen_range(0..RARE.len())].to_string(),
        3 | 4 => format!("{} {}", word(rng), word(rng)),
        5 => ["cari", "setuju", "lapor", "kirim"][rng.gen_range(0..4)].to_string(),
        6 => format!("\"{} {}\"", word(rng), word(rng)),
        7 => format!(
            "{} in:#{}",
            word(rng),
            s.channel_names[mine[rng.gen_range(0..mine.len())]]
        ),
        // Authors are "Pegawai 0" … "Pegawai 199": a number of three digits names one.
        8 => format!("{} from:{}", word(rng), rng.gen_range(100..s.authors.len())),
        _ => {
            let days = rng.gen_range(1..150);
            let d = jiff::Timestamp::from_millisecond(now - days * 86_400_000)
                .map(|t| t.to_zoned(jiff::tz::TimeZone::UTC).date().to_string())
                .unwrap_or_default();
            format!("{} after:{d}", word(rng))
        }
    }
}

pub struct Outcome {
    pub latency: Histogram<u64>,
    pub results: u64,
    pub elapsed: Duration,
}

/// `requests` searches, round-robin over the searchers, one at a time.
pub async fn run(
    url: &str,
    org_id: &str,
    seeded: &Seeded,
    requests: usize,
    now: i64,
) -> anyhow::Result<Outcome> {
    let (addr, authority) = resolve(url).await?;
    let mut conns = Vec::with_capacity(seeded.searchers.len());
    for _ in &seeded.searchers {
        conns.push(Conn::connect(addr, true).await?);
    }
    let mut latency = Histogram::new_with_bounds(1, 60_000_000, 3).context("histogram bounds")?;
    let mut results = 0u64;
    let mut rng = rand::thread_rng();
    let started = Instant::now();
    let mut slowest: Vec<(u64, String)> = Vec::new();
    for i in 0..requests {
        let k = i % seeded.searchers.len();
        let (person, mine) = &seeded.searchers[k];
        let q = query(&mut rng, seeded, mine, now);
        let req = format!(
            "GET /api/v1/orgs/{org_id}/chat/search?q={} HTTP/1.1\r\nHost: {authority}\r\n\
             Authorization: Bearer {}\r\nAccept: application/json\r\nUser-Agent: kantor-bench\r\n\r\n",
            encode(&q),
            person.token
        );
        let sent = Instant::now();
        let answer = conns[k].exchange(req.as_bytes()).await?;
        let took = sent.elapsed().as_micros().max(1) as u64;
        latency.saturating_record(took);
        slowest.push((took, q.clone()));
        if answer.status != 200 {
            bail!(
                "search {q:?}: HTTP {}: {}",
                answer.status,
                String::from_utf8_lossy(conns[k].body())
                    .chars()
                    .take(300)
                    .collect::<String>()
            );
        }
        let body: serde_json::Value =
            serde_json::from_slice(conns[k].body()).context("search answer is not JSON")?;
        results += body["results"].as_array().map_or(0, |r| r.len() as u64);
        if !answer.keep_alive {
            conns[k] = Conn::connect(addr, true).await?;
        }
    }
    slowest.sort_by_key(|s| std::cmp::Reverse(s.0));
    for (us, q) in slowest.iter().take(12) {
        eprintln!("  slow: {:.1} ms  {q}", *us as f64 / 1000.0);
    }
    Ok(Outcome {
        latency,
        results,
        elapsed: started.elapsed(),
    })
}
