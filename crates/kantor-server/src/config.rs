//! Server configuration. Layering (defaults → TOML file → `KANTOR_*` variables → flags) is done
//! by the binary; this is the resolved result. Secrets are hidden in `Debug`.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use serde::Deserialize;

#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where SQLite, uploaded files and the setup token live.
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    /// `postgres://…` switches to PostgreSQL; unset means SQLite in `data_dir`.
    pub database_url: Option<String>,
    /// `nats://…` switches the bus to NATS for several nodes; unset means in-process.
    pub nats_url: Option<String>,
    /// Subject prefix on NATS, to share one NATS server between deployments.
    pub nats_prefix: String,
    /// The URL people reach this server at, for links in invites and resets.
    pub public_url: Option<String>,
    /// Proxies whose `X-Forwarded-For` is believed (exact addresses).
    pub trusted_proxies: Vec<IpAddr>,
    /// Login attempts allowed per email within `login_window_secs`.
    pub login_attempts_per_email: u32,
    /// Login attempts allowed per client IP within `login_window_secs`.
    pub login_attempts_per_ip: u32,
    pub login_window_secs: u64,
    pub session_ttl_days: u32,
    /// Largest JSON body, in bytes.
    pub max_json_bytes: usize,
    /// Largest import file, in bytes.
    pub max_import_bytes: usize,
    /// Largest avatar, in bytes, and its pixel limit.
    pub max_avatar_bytes: usize,
    pub max_avatar_pixels: u64,
    /// Largest chat attachment, in bytes, and the pixel limit of chat images.
    pub max_chat_file_bytes: usize,
    /// Largest chat export (the sum of its files' sizes, checked before it starts), in bytes.
    /// Exports are store-only ZIPs without ZIP64, so this stays under 4 GiB.
    pub max_chat_export_bytes: u64,
    pub max_chat_image_pixels: u64,
    /// Above this many members, only admins and channel owners may use `@channel`/`@here`.
    pub chat_broadcast_mention_max: i64,
    /// How long numbered events are kept for resume.
    pub event_retention_hours: u64,
    /// Mark cookies `Secure` (set automatically when `public_url` is https).
    pub secure_cookies: bool,
    /// Stable name of this node (jobs leases, logs); defaults to host:port.
    pub node_name: Option<String>,
    /// SQLite/PostgreSQL connections in the read pool.
    pub db_max_connections: u32,
    /// Outgoing mail, e.g. `smtps://user:pass@mail.example:465` or
    /// `smtp://mail.example:587?tls=required`; unset means no email (admins copy links).
    pub smtp_url: Option<String>,
    /// The sender of outgoing mail, e.g. `Kantor <noreply@kominfo.go.id>`.
    pub smtp_from: String,
    /// Where uploaded files go: unset means `files/` in the data dir; `s3://bucket` means an
    /// S3-compatible bucket configured by the standard `AWS_*` variables.
    pub files_url: Option<String>,
    /// PEM certificate chain and private key: when both are set Kantor serves HTTPS itself
    /// (otherwise put it behind a TLS-terminating reverse proxy).
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// The one UDP port all meeting media goes through (0 picks a free port, for tests).
    pub media_port: u16,
    /// The address the media socket binds (all interfaces by default).
    pub media_bind: IpAddr,
    /// The IP address announced to browsers in ICE candidates, e.g. the public address of a
    /// machine behind 1:1 NAT. Unset: the bind address, or every local address if unspecified.
    pub media_public_ip: Option<IpAddr>,
    /// TURN server URLs handed to participants, e.g.
    /// `turn:turn.example.id:3478?transport=udp`, `turns:turn.example.id:443?transport=tcp`.
    pub turn_urls: Vec<String>,
    /// coturn's `static-auth-secret` (REST API scheme): credentials are derived from it.
    pub turn_secret: Option<String>,
    /// How long a handed-out TURN credential is valid.
    pub turn_ttl_secs: u64,
    /// The VAPID contact push services may write to (`mailto:` or `https:`); unset means
    /// `mailto:admin@<host of the base URL>`.
    pub push_subject: Option<String>,
    /// Tests only: accept `http://` push endpoints on loopback addresses (a local push service).
    pub push_allow_http_loopback: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("./kantor-data"),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: None,
            nats_url: None,
            nats_prefix: "kantor".to_string(),
            public_url: None,
            trusted_proxies: Vec::new(),
            login_attempts_per_email: 10,
            login_attempts_per_ip: 50,
            login_window_secs: 15 * 60,
            session_ttl_days: 30,
            max_json_bytes: 1024 * 1024,
            max_import_bytes: 20 * 1024 * 1024,
            max_avatar_bytes: 5 * 1024 * 1024,
            max_avatar_pixels: 40_000_000,
            max_chat_file_bytes: 25 * 1024 * 1024,
            max_chat_export_bytes: 2 * 1024 * 1024 * 1024,
            max_chat_image_pixels: 40_000_000,
            chat_broadcast_mention_max: 50,
            event_retention_hours: 72,
            secure_cookies: false,
            node_name: None,
            db_max_connections: 16,
            smtp_url: None,
            smtp_from: "Kantor <noreply@localhost>".to_string(),
            files_url: None,
            tls_cert: None,
            tls_key: None,
            media_port: 7882,
            media_bind: IpAddr::from([0, 0, 0, 0]),
            media_public_ip: None,
            turn_urls: Vec::new(),
            turn_secret: None,
            turn_ttl_secs: 3600,
            push_subject: None,
            push_allow_http_loopback: false,
        }
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("data_dir", &self.data_dir)
            .field("listen", &self.listen)
            .field(
                "database_url",
                &self.database_url.as_deref().map(kantor_store::db::redact),
            )
            .field(
                "nats_url",
                &self.nats_url.as_deref().map(kantor_store::db::redact),
            )
            .field("public_url", &self.public_url)
            .field(
                "smtp_url",
                &self.smtp_url.as_deref().map(kantor_store::db::redact),
            )
            .field("smtp_from", &self.smtp_from)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("secure_cookies", &self.secure_cookies)
            .field("media_port", &self.media_port)
            .field("media_public_ip", &self.media_public_ip)
            .field("turn_urls", &self.turn_urls)
            .finish_non_exhaustive()
    }
}

impl Config {
    /// The database URL, SQLite in the data dir by default.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("kantor.db").display()
            ),
        }
    }

    pub fn blob_dir(&self) -> PathBuf {
        self.data_dir.join("files")
    }

    /// The base of links in invites and resets: the public URL, or the listen address.
    pub fn base_url(&self, bound: SocketAddr) -> String {
        match &self.public_url {
            Some(u) => u.trim_end_matches('/').to_string(),
            None if self.tls() => format!("https://{bound}"),
            None => format!("http://{bound}"),
        }
    }

    /// Whether Kantor terminates TLS itself.
    pub fn tls(&self) -> bool {
        self.tls_cert.is_some() && self.tls_key.is_some()
    }

    pub fn cookies_secure(&self) -> bool {
        self.secure_cookies
            || self.tls()
            || self
                .public_url
                .as_deref()
                .is_some_and(|u| u.starts_with("https://"))
    }
}
