//! Meeting attendance — on SQLite and PostgreSQL: the room records stays (enter → leave, a
//! reconnect within the grace period is the same stay, a socket that drops is recorded as
//! leaving when it dropped), and the report shows every participant and invitee with unit,
//! employee number, stays and minutes to the host, HR and unit leaders (their unit only; any
//! other unit → 404), exported as XLSX and CSV.

use std::future::Future;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use kantor_core::ids::{MeetingId, OrgId, UnitId, UserId};
use kantor_core::role::Role;
use kantor_store::attendance::{self as store, Invitee};
use reqwest::Method;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

use crate::common::{on_both, str_of, Client, TestServer, User};

const MIN: i64 = 60_000;

type Stream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A meeting socket without media: entering the room is enough for attendance.
struct Sock {
    ws: Stream,
}

impl Sock {
    async fn open(base: &str, token: &Value) -> Sock {
        let url = format!("{}/api/v1/meet/ws", base.replace("http://", "ws://"));
        let (mut ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("meeting ws");
        let hello = json!({"t": "hello", "token": token});
        ws.send(Message::Text(hello.to_string().into()))
            .await
            .expect("hello");
        let mut sock = Sock { ws };
        sock.next_of("welcome").await;
        sock
    }

    async fn send(&mut self, v: Value) {
        self.ws
            .send(Message::Text(v.to_string().into()))
            .await
            .expect("send");
    }

    /// The next message of type `t` within 10 s (others are skipped).
    async fn next_of(&mut self, t: &str) -> Value {
        let wait = async {
            loop {
                let v: Value = match self.ws.next().await {
                    Some(Ok(Message::Text(text))) => {
                        serde_json::from_str(text.as_str()).expect("json")
                    }
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => json!({"t": "closed"}),
                    Some(Ok(_)) => continue,
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
}

/// Joins over REST; the answer's token opens the room.
async fn join(client: &Client, m: &Value) -> Value {
    client
        .post(
            "/api/v1/meet/join",
            json!({"number": m["number"], "passcode": m["passcode"]}),
        )
        .await
        .expect(200)
}

fn path(user: &User, m: &Value, rest: &str) -> String {
    user.org_path(&format!("/meetings/{}{rest}", str_of(&m["id"])))
}

/// Polls `check` until it gives a value (the room writes attendance after it answers).
async fn eventually<F, Fut>(what: &str, mut check: F) -> Value
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<Value>>,
{
    for _ in 0..500 {
        if let Some(v) = check().await {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{what}: not in time");
}

fn row<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("{name} is listed: {report:#}"))
}

fn names(report: &Value) -> Vec<String> {
    let mut n: Vec<String> = report["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| str_of(&r["name"]))
        .collect();
    n.sort();
    n
}

async fn member(server: &TestServer, owner: &User, name: &str, role: Role) -> User {
    let mut u = server.seed_member(&owner.org_id, role).await;
    // A recognisable name, written directly (seeded members share one).
    let mut conn = server
        .state()
        .store
        .read_conn()
        .await
        .expect("a connection");
    sqlx::query("UPDATE users SET name = $1 WHERE id = $2")
        .bind(name)
        .bind(&u.id)
        .execute(&mut *conn)
        .await
        .expect("rename");
    u.name = name.to_string();
    u
}

async fn place(owner: &User, who: &User, unit: &str, number: &str) {
    owner
        .client
        .patch(
            &owner.org_path(&format!("/members/{}", who.id)),
            json!({"unit_id": unit, "employee_number": number, "position": "Analis"}),
        )
        .await
        .expect(200);
}

async fn invite(server: &TestServer, owner: &User, m: &Value, who: Invitee) {
    let mut tx = server.state().store.begin().await.expect("begin");
    let org: OrgId = owner.org_id.parse().expect("org id");
    let meeting: MeetingId = str_of(&m["id"]).parse().expect("meeting id");
    store::add_invitee(&mut tx, org, meeting, who, server.clock.now_ms())
        .await
        .expect("invite");
    tx.commit().await.expect("commit");
}

async fn bytes(user: &User, path: &str) -> (u16, String, Vec<u8>) {
    let r = user
        .client
        .request(Method::GET, path)
        .send()
        .await
        .expect("download");
    let status = r.status().as_u16();
    let disposition = r
        .headers()
        .get("content-disposition")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (status, disposition, r.bytes().await.expect("body").to_vec())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attendance_is_recorded_reported_scoped_and_exported() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let owner = server.setup_owner().await;
        let o = &owner.client;
        let leader = member(&server, &owner, "Dewi Lestari", Role::Member).await;
        let arsip = member(&server, &owner, "Agus Salim", Role::Member).await;
        let absent = member(&server, &owner, "Rina Wati", Role::Member).await;
        let keuangan = member(&server, &owner, "Bambang Pamungkas", Role::Member).await;
        let hr = member(&server, &owner, "Sri Mulyani", Role::Hr).await;
        let outsider = member(&server, &owner, "Joko Susilo", Role::Member).await;
        // Sekretariat (led by Dewi) ⊃ Seksi Arsip; Bidang Keuangan apart.
        let sekretariat = o
            .post(
                &owner.org_path("/units"),
                json!({"name": "Sekretariat", "leader_user_id": leader.id}),
            )
            .await
            .expect(201);
        let seksi = o
            .post(
                &owner.org_path("/units"),
                json!({"name": "Seksi Arsip", "parent_id": sekretariat["id"]}),
            )
            .await
            .expect(201);
        let bidang = o
            .post(
                &owner.org_path("/units"),
                json!({"name": "Bidang Keuangan"}),
            )
            .await
            .expect(201);
        let (sek, sek_arsip, keu) = (
            str_of(&sekretariat["id"]),
            str_of(&seksi["id"]),
            str_of(&bidang["id"]),
        );
        place(&owner, &leader, &sek, "197501012000012001").await;
        place(&owner, &arsip, &sek_arsip, "198801012010011002").await;
        place(&owner, &absent, &sek_arsip, "199001012015012003").await;
        place(&owner, &keuangan, &keu, "198501012009011004").await;

        let m = o
            .post(
                &owner.org_path("/meetings"),
                json!({"title": "Rapat Koordinasi Bulanan", "waiting_room": "off"}),
            )
            .await
            .expect(201);
        invite(
            &server,
            &owner,
            &m,
            Invitee::Unit(sek.parse::<UnitId>().expect("unit")),
        )
        .await;
        invite(
            &server,
            &owner,
            &m,
            Invitee::User(keuangan.id.parse::<UserId>().expect("user")),
        )
        .await;

        // t0: the host enters; Agus enters.
        let base = server.base.clone();
        let host_join = join(o, &m).await;
        let mut host = Sock::open(&base, &host_join["token"]).await;
        let agus_join = join(&arsip.client, &m).await;
        let agus_pid = agus_join["participant"]["id"].clone();
        let agus = Sock::open(&base, &agus_join["token"]).await;
        // t0+10: Agus's connection drops; he is back a minute later (within the grace
        // period): the same stay.
        server.clock.advance_ms(10 * MIN);
        drop(agus);
        let gone = host.next_of("peer_left").await;
        assert_eq!(gone["id"], agus_pid);
        server.clock.advance_ms(MIN);
        let mut agus = Sock::open(&base, &agus_join["token"]).await;
        // t0+20: Agus leaves; t0+25 he joins again until t0+30: a second stay.
        server.clock.advance_ms(9 * MIN);
        agus.send(json!({"t": "leave"})).await;
        host.next_of("peer_left").await;
        let report_path = path(&owner, &m, "/attendance");
        eventually("the first stay closed", || async {
            let r = o.get(&report_path).await.expect(200);
            (row(&r, "Agus Salim")["stays"][0]["left_at"].is_string()).then_some(r)
        })
        .await;
        server.clock.advance_ms(5 * MIN);
        let again = join(&arsip.client, &m).await;
        let mut agus = Sock::open(&base, &again["token"]).await;
        server.clock.advance_ms(5 * MIN);
        agus.send(json!({"t": "leave"})).await;
        let gone = host.next_of("peer_left").await;
        assert_eq!(gone["id"], agus_pid, "{gone}");
        // t0+30: Bambang enters; his connection drops at t0+35 and never comes back; the host
        // ends the meeting at t0+45. His stay ends when his socket went, not at the end.
        let bambang_join = join(&keuangan.client, &m).await;
        let bambang = Sock::open(&base, &bambang_join["token"]).await;
        // A guest is there for the same five minutes and leaves.
        let guest_client = server.client();
        let guest_join = guest_client
            .post(
                "/api/v1/meet/join",
                json!({"number": m["number"], "passcode": m["passcode"],
                       "name": "Tamu Dinas PU", "device_key": "perangkat-tamu-1"}),
            )
            .await
            .expect(200);
        let mut guest = Sock::open(&base, &guest_join["token"]).await;
        server.clock.advance_ms(5 * MIN);
        guest.send(json!({"t": "leave"})).await;
        let gone = host.next_of("peer_left").await;
        assert_eq!(gone["id"], guest_join["participant"]["id"], "{gone}");
        drop(bambang);
        let gone = host.next_of("peer_left").await;
        assert_eq!(gone["id"], bambang_join["participant"]["id"], "{gone}");
        server.clock.advance_ms(10 * MIN);
        o.post_empty(&path(&owner, &m, "/end")).await.expect(204);
        // The stays as recorded are all closed (the report alone would close an open stay at
        // the meeting's end on its own).
        let meeting_id: MeetingId = str_of(&m["id"]).parse().expect("meeting id");
        eventually("every stay closed", || async {
            let mut conn = server.state().store.read_conn().await.expect("conn");
            let stays = store::stays(&mut conn, meeting_id).await.expect("stays");
            stays
                .iter()
                .all(|s| s.left_at.is_some())
                .then_some(Value::Null)
        })
        .await;
        let report = o.get(&report_path).await.expect(200);

        // The host's view: everyone who came and every invitee.
        assert_eq!(report["scope"], "all");
        assert_eq!(
            names(&report),
            [
                "Agus Salim",
                "Bambang Pamungkas",
                "Budi Santoso",
                "Dewi Lestari",
                "Rina Wati",
                "Tamu Dinas PU"
            ]
        );
        let budi = row(&report, "Budi Santoso");
        assert_eq!(budi["role"], "host");
        assert_eq!(budi["invited"], false);
        assert_eq!(budi["minutes"], 45);
        assert_eq!(budi["status"], "hadir");
        let agus_row = row(&report, "Agus Salim");
        assert_eq!(agus_row["unit_name"], "Seksi Arsip");
        assert_eq!(agus_row["employee_number"], "198801012010011002");
        assert_eq!(agus_row["invited"], true, "invited through Sekretariat");
        assert_eq!(agus_row["role"], "participant");
        assert_eq!(
            agus_row["stays"].as_array().expect("stays").len(),
            2,
            "a reconnect within the grace period is one stay: {agus_row}"
        );
        assert_eq!(agus_row["minutes"], 20 + 5);
        let bambang_row = row(&report, "Bambang Pamungkas");
        assert_eq!(
            bambang_row["minutes"], 5,
            "ends when the socket went: {bambang_row}"
        );
        assert_eq!(bambang_row["invited"], true);
        for never in ["Dewi Lestari", "Rina Wati"] {
            let r = row(&report, never);
            assert_eq!(r["status"], "tidak_hadir");
            assert_eq!(r["invited"], true);
            assert_eq!(r["role"], Value::Null);
            assert_eq!(r["minutes"], 0);
        }
        let guest_row = row(&report, "Tamu Dinas PU");
        assert_eq!(guest_row["guest"], true);
        assert_eq!(guest_row["user_id"], Value::Null);
        assert_eq!(guest_row["unit_name"], Value::Null);
        assert_eq!(guest_row["invited"], false);
        assert_eq!(guest_row["minutes"], 5);
        let t = &report["totals"];
        assert_eq!(
            (
                t["people"].as_i64(),
                t["present"].as_i64(),
                t["absent"].as_i64()
            ),
            (Some(6), Some(4), Some(2))
        );
        assert_eq!(t["invited_absent"], 2);
        assert_eq!(t["guests"], 1);
        assert_eq!(t["minutes"], 45 + 25 + 5 + 5);

        // One occurrence's window: t0+22 … t0+40.
        let t0 = str_of(&budi["first_join"])
            .parse::<jiff::Timestamp>()
            .expect("an instant")
            .as_millisecond();
        let at = |mins: i64| {
            jiff::Timestamp::from_millisecond(t0 + mins * MIN)
                .expect("instant")
                .to_string()
        };
        let windowed = o
            .get(&format!("{report_path}?from={}&to={}", at(22), at(40)))
            .await
            .expect(200);
        assert_eq!(row(&windowed, "Budi Santoso")["minutes"], 18);
        assert_eq!(row(&windowed, "Agus Salim")["minutes"], 5);
        assert_eq!(row(&windowed, "Bambang Pamungkas")["minutes"], 5);

        // HR sees everyone.
        let by_hr = hr.client.get(&report_path).await.expect(200);
        assert_eq!(names(&by_hr), names(&report));
        // The leader of Sekretariat sees Sekretariat and Seksi Arsip only …
        let mine = leader
            .client
            .get(&format!("{report_path}?unit_id={sek}"))
            .await
            .expect(200);
        assert_eq!(mine["scope"], "unit");
        assert_eq!(names(&mine), ["Agus Salim", "Dewi Lestari", "Rina Wati"]);
        let seksi_only = leader
            .client
            .get(&format!("{report_path}?unit_id={sek_arsip}"))
            .await
            .expect(200);
        assert_eq!(names(&seksi_only), ["Agus Salim", "Rina Wati"]);
        // … and another unit, or no unit, is not found.
        leader
            .client
            .get(&format!("{report_path}?unit_id={keu}"))
            .await
            .error(404, "not_found");
        leader
            .client
            .get(&report_path)
            .await
            .error(404, "not_found");
        // A member who is neither host nor HR nor leader: not found; so are a participant
        // and the exports.
        outsider
            .client
            .get(&report_path)
            .await
            .error(404, "not_found");
        arsip.client.get(&report_path).await.error(404, "not_found");
        let (status, _, _) = bytes(&outsider, &path(&owner, &m, "/attendance.xlsx")).await;
        assert_eq!(status, 404);
        // Bad input.
        o.get(&format!("{report_path}?from=kemarin"))
            .await
            .error(422, "validation.invalid");
        o.get(&format!("{report_path}?from={}&to={}", at(10), at(5)))
            .await
            .error(422, "validation.invalid");
        o.get(&format!("{report_path}?unit_id=bukan-unit"))
            .await
            .error(422, "validation.invalid");
        o.get(&format!("{}?sep=tab", path(&owner, &m, "/attendance.csv")))
            .await
            .error(422, "validation.invalid");

        // The XLSX: a title, headers in Indonesian, one line per person, minutes as numbers.
        let (status, disposition, xlsx) =
            bytes(&owner, &path(&owner, &m, "/attendance.xlsx")).await;
        assert_eq!(status, 200);
        assert!(
            disposition.contains("kehadiran-rapat-koordinasi-bulanan-")
                && disposition.contains(".xlsx"),
            "{disposition}"
        );
        let sheet = read_xlsx(&xlsx);
        assert!(sheet[0][0].starts_with("Kehadiran rapat: Rapat Koordinasi Bulanan"));
        assert!(
            sheet[1][0].contains("WITA"),
            "the owner's zone: {:?}",
            sheet[1]
        );
        let header = &sheet[3];
        assert_eq!(header[1], "Nama");
        assert_eq!(header[10], "Total menit");
        let agus_line = sheet
            .iter()
            .find(|l| l.get(1).map(String::as_str) == Some("Agus Salim"))
            .expect("Agus in the sheet");
        assert_eq!(agus_line[2], "198801012010011002");
        assert_eq!(agus_line[3], "Seksi Arsip");
        assert_eq!(agus_line[7], "Hadir");
        assert_eq!(agus_line[10], "25 (number)");
        let rina = sheet
            .iter()
            .find(|l| l.get(1).map(String::as_str) == Some("Rina Wati"))
            .expect("Rina in the sheet");
        assert_eq!(rina[7], "Tidak hadir");
        assert_eq!(rina[6], "Ya");

        // The CSV for Indonesian Excel: BOM, semicolons.
        let (status, disposition, csv) =
            bytes(&owner, &path(&owner, &m, "/attendance.csv?sep=semicolon")).await;
        assert_eq!(status, 200);
        assert!(disposition.contains(".csv"), "{disposition}");
        assert!(csv.starts_with("\u{feff}".as_bytes()), "a byte-order mark");
        let text = String::from_utf8(csv).expect("utf-8");
        let lines: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
        assert!(
            lines[0].starts_with("No;Nama;NIP/NIK;Unit kerja;"),
            "{}",
            lines[0]
        );
        assert!(
            lines.iter().any(
                |l| l.contains(";Agus Salim;198801012010011002;Seksi Arsip;")
                    && l.contains(";Hadir;")
            ),
            "{text}"
        );
        let (_, _, comma) = bytes(&owner, &path(&owner, &m, "/attendance.csv?sep=comma")).await;
        assert!(String::from_utf8_lossy(&comma).contains("No,Nama,NIP/NIK"));

        // Exports are in the audit log.
        let audit = o.get(&owner.org_path("/audit")).await.expect(200);
        let exports = audit["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter(|e| e["action"] == "meeting.attendance.export")
            .count();
        assert_eq!(exports, 3, "{audit:#}");
        server.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_that_panics_closes_its_stays_and_a_return_starts_a_new_one() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let owner = server.setup_owner().await;
        let o = &owner.client;
        let m = o
            .post(
                &owner.org_path("/meetings"),
                json!({"title": "Rapat Darurat"}),
            )
            .await
            .expect(201);
        let meeting_id: MeetingId = str_of(&m["id"]).parse().expect("meeting id");
        let base = server.base.clone();
        let joined = join(o, &m).await;
        let mut sock = Sock::open(&base, &joined["token"]).await;
        server.clock.advance_ms(3 * MIN);
        server
            .state()
            .rooms
            .command(meeting_id, kantor_server::meet::RoomCommand::Panic);
        assert_eq!(sock.next_of("welcome").await["t"], "closed");
        eventually("the stay closed at the crash", || async {
            let mut conn = server.state().store.read_conn().await.expect("conn");
            let stays = store::stays(&mut conn, meeting_id).await.expect("stays");
            (stays.len() == 1 && stays[0].left_at.is_some()).then_some(Value::Null)
        })
        .await;
        server.clock.advance_ms(MIN);
        let again = join(o, &m).await;
        let _sock = Sock::open(&base, &again["token"]).await;
        server.clock.advance_ms(2 * MIN);
        let path = path(&owner, &m, "/attendance");
        let report = eventually("a second stay", || async {
            let r = o.get(&path).await.expect(200);
            (row(&r, "Budi Santoso")["stays"].as_array().map(Vec::len) == Some(2)).then_some(r)
        })
        .await;
        let budi = row(&report, "Budi Santoso");
        // 3 minutes before the crash, 2 (and counting) after it; the minute between is not counted.
        assert_eq!(budi["minutes"], 5, "{budi}");
        assert_eq!(budi["last_leave"], Value::Null, "still in: {budi}");
        server.shutdown().await;
    })
    .await;
}

/// The first sheet's cells as text; numbers marked `(number)` so the test sees their type.
fn read_xlsx(bytes: &[u8]) -> Vec<Vec<String>> {
    use calamine::Reader;
    let mut book =
        calamine::Xlsx::new(std::io::Cursor::new(bytes.to_vec())).expect("an XLSX workbook");
    let range = book
        .worksheet_range_at(0)
        .expect("a sheet")
        .expect("readable");
    range
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    calamine::Data::Float(f) => format!("{f} (number)"),
                    calamine::Data::Int(i) => format!("{i} (number)"),
                    calamine::Data::Empty => String::new(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}
