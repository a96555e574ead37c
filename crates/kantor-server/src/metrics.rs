//! Prometheus metrics in text format on `/metrics`: request counts and latency histograms by
//! route, WebSocket connections, database pool, jobs, and the meeting media socket (datagrams
//! received, sent, dropped for no room, dropped because a room was behind, refused by the
//! socket) with the number of open rooms.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use dashmap::DashMap;

use crate::state::AppState;

const BUCKETS_MS: [f64; 10] = [
    1.0, 2.5, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 1000.0, 5000.0,
];

#[derive(Default)]
pub struct Metrics {
    /// (method, route, status class) → count
    requests: DashMap<(String, String, u16), u64>,
    /// (method, route) → bucket counts (+Inf last), sum in µs
    latency: DashMap<(String, String), ([u64; 11], u64)>,
    pub ws_connections: AtomicI64,
    pub events_relayed: AtomicU64,
    /// Transactions the SQLite chat writer committed (posts / batches = batch size).
    pub chat_post_batches: AtomicU64,
    pub jobs_run: AtomicU64,
    pub jobs_failed: AtomicU64,
}

impl Metrics {
    fn observe(&self, method: &str, route: &str, status: u16, micros: u64) {
        *self
            .requests
            .entry((method.to_string(), route.to_string(), status))
            .or_insert(0) += 1;
        let mut e = self
            .latency
            .entry((method.to_string(), route.to_string()))
            .or_insert(([0; 11], 0));
        let ms = micros as f64 / 1000.0;
        let idx = BUCKETS_MS
            .iter()
            .position(|b| ms <= *b)
            .unwrap_or(BUCKETS_MS.len());
        e.0[idx] += 1;
        e.1 += micros;
    }

    pub async fn render(&self, state: &AppState) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        let _ = writeln!(out, "# TYPE kantor_http_requests_total counter");
        for e in self.requests.iter() {
            let ((m, r, s), n) = (e.key(), e.value());
            let _ = writeln!(
                out,
                "kantor_http_requests_total{{method=\"{m}\",route=\"{r}\",status=\"{s}\"}} {n}"
            );
        }
        let _ = writeln!(out, "# TYPE kantor_http_request_duration_seconds histogram");
        for e in self.latency.iter() {
            let ((m, r), (buckets, sum)) = (e.key(), e.value());
            let mut cumulative = 0;
            for (i, b) in BUCKETS_MS.iter().enumerate() {
                cumulative += buckets[i];
                let _ = writeln!(out, "kantor_http_request_duration_seconds_bucket{{method=\"{m}\",route=\"{r}\",le=\"{}\"}} {cumulative}", b / 1000.0);
            }
            cumulative += buckets[10];
            let _ = writeln!(out, "kantor_http_request_duration_seconds_bucket{{method=\"{m}\",route=\"{r}\",le=\"+Inf\"}} {cumulative}");
            let _ = writeln!(
                out,
                "kantor_http_request_duration_seconds_sum{{method=\"{m}\",route=\"{r}\"}} {}",
                *sum as f64 / 1e6
            );
            let _ = writeln!(out, "kantor_http_request_duration_seconds_count{{method=\"{m}\",route=\"{r}\"}} {cumulative}");
        }
        let (size, idle) = state.store.pool_stats();
        let pending = state.store.pending_jobs().await.unwrap_or(-1);
        let _ = writeln!(
            out,
            "# TYPE kantor_ws_connections gauge\nkantor_ws_connections {}",
            self.ws_connections.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# TYPE kantor_db_pool_connections gauge\nkantor_db_pool_connections {size}"
        );
        let _ = writeln!(
            out,
            "# TYPE kantor_db_pool_idle gauge\nkantor_db_pool_idle {idle}"
        );
        let _ = writeln!(
            out,
            "# TYPE kantor_events_relayed_total counter\nkantor_events_relayed_total {}",
            self.events_relayed.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# TYPE kantor_chat_post_batches_total counter\nkantor_chat_post_batches_total {}",
            self.chat_post_batches.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# TYPE kantor_event_seq gauge\nkantor_event_seq {}",
            state.hub.last_seq()
        );
        let _ = writeln!(
            out,
            "# TYPE kantor_jobs_pending gauge\nkantor_jobs_pending {pending}"
        );
        let _ = writeln!(
            out,
            "# TYPE kantor_jobs_run_total counter\nkantor_jobs_run_total {}",
            self.jobs_run.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# TYPE kantor_jobs_failed_total counter\nkantor_jobs_failed_total {}",
            self.jobs_failed.load(Ordering::Relaxed)
        );
        if let Some(media) = state.rooms.media() {
            let counters = [
                ("kantor_media_datagrams_received_total", &media.received),
                ("kantor_media_datagrams_sent_total", &media.sent),
                ("kantor_media_datagrams_unrouted_total", &media.dropped),
                ("kantor_media_datagrams_queue_full_total", &media.queue_full),
                ("kantor_media_send_failed_total", &media.send_failed),
            ];
            for (name, counter) in counters {
                let _ = writeln!(
                    out,
                    "# TYPE {name} counter\n{name} {}",
                    counter.load(Ordering::Relaxed)
                );
            }
        }
        let _ = writeln!(
            out,
            "# TYPE kantor_meet_rooms_open gauge\nkantor_meet_rooms_open {}",
            state.rooms.open_count()
        );
        out
    }
}

/// Middleware: counts and times each request by its route pattern (never by raw path, which
/// would carry ids and blow up the label space).
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "other".into());
    let method = req.method().as_str().to_string();
    let start = Instant::now();
    let resp = next.run(req).await;
    state.metrics.observe(
        &method,
        &route,
        resp.status().as_u16(),
        start.elapsed().as_micros() as u64,
    );
    resp
}
