//! Kantor's server: the HTTP API, the realtime gateway, background tasks and the embedded web
//! app, wired over a [`kantor_store::Store`] and a [`kantor_bus::Bus`] that the caller picks.
//!
//! # Layout
//!
//! - [`config`]: the resolved configuration (layering is the binary's job).
//! - [`state`]: what every handler shares, and cross-node control messages.
//! - [`api`]: the REST handlers under `/api/v1`, one module per resource, and the OpenAPI doc.
//! - [`auth`]: sessions, API tokens, CSRF, the auth cache, login limits, "member of this org".
//! - [`gateway`]: the event relay, the hub, and the WebSocket with resume.
//! - [`jobs`]: the durable job runner.
//! - [`blobs`]: file bytes on disk.
//! - [`email`]: outgoing mail through the job runner.
//! - [`secrets`]: argon2id passwords, random tokens, TOTP.
//! - [`extract`]: JSON bodies with stable error codes.
//! - [`error`]: the one API error type.
//! - [`metrics`]: Prometheus metrics.
//! - [`push`]: Web Push notifications of new messages: the VAPID key and the jobs that pick
//!   recipients and send.
//! - [`outbound`]: HTTP calls to addresses users configure (webhooks): address checks, signing.
//! - [`clock`]: the injectable clock.
//! - [`web`]: the embedded web app with SPA fallback.

pub mod api;
pub mod auth;
pub mod blobs;
pub mod clock;
pub mod config;
pub mod email;
pub mod error;
pub mod extract;
pub mod gateway;
pub mod jobs;
pub mod meet;
pub mod metrics;
pub mod outbound;
pub mod push;
pub mod secrets;
pub mod state;
pub mod web;

use std::net::SocketAddr;
use std::time::Duration;

use axum::routing::get;
use axum::Router;
use kantor_bus::Bus;
use kantor_store::{Store, StoreOptions};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};

pub use clock::Clock;
pub use config::Config;
pub use state::AppState;

/// A running server.
pub struct Server {
    pub state: AppState,
    pub addr: SocketAddr,
    /// The one-time setup token, when no organisation exists yet.
    pub setup_token: Option<String>,
    /// Setup is still needed but its link was printed by another start (see
    /// `kantor admin setup-link`).
    pub setup_elsewhere: bool,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    /// The setup link to print, if setup is still needed.
    pub fn setup_link(&self) -> Option<String> {
        self.setup_token
            .as_ref()
            .map(|t| format!("{}/setup?token={t}", self.state.base_url))
    }

    /// Stops accepting, tells sockets to reconnect elsewhere, drains requests, and returns.
    pub async fn shutdown(self) {
        self.state.shutdown.cancel();
        let _ = tokio::time::timeout(Duration::from_secs(30), self.task).await;
        self.state.store.close().await;
    }

    /// Resolves when the server stopped (after [`Server::shutdown`] or a fatal error).
    pub async fn wait(&mut self) {
        let _ = (&mut self.task).await;
    }
}

/// Opens the store and the bus named by `config`.
pub async fn connect(config: &Config) -> anyhow::Result<(Store, Bus)> {
    if config.database_url.is_none() {
        std::fs::create_dir_all(&config.data_dir)?;
    }
    let store = Store::open(
        &config.database_url(),
        &StoreOptions {
            max_connections: config.db_max_connections,
        },
    )
    .await?;
    let bus = match &config.nats_url {
        Some(url) => {
            // Subjects carry this database's id: two deployments that share a NATS server and
            // a prefix must never take each other's events (a node would take another
            // database's event `n` for its own and drop its own as a duplicate).
            let deployment = deployment_id(&store).await?;
            Bus::nats(url, &format!("{}-{deployment}", config.nats_prefix)).await?
        }
        None => Bus::in_process(),
    };
    Ok((store, bus))
}

/// A random id made once per database; every node on the database reads the same one.
async fn deployment_id(store: &Store) -> anyhow::Result<String> {
    const KEY: &str = "deployment_id";
    let fresh = kantor_store::new_id().simple().to_string();
    let mut tx = store.begin().await?;
    kantor_store::settings::put_if_absent(&mut tx, KEY, &fresh).await?;
    let id = kantor_store::settings::get(&mut tx, KEY)
        .await?
        .unwrap_or(fresh);
    tx.commit().await?;
    Ok(id)
}

/// Starts serving on `listener` (bind port 0 in tests). The server runs until `shutdown` is
/// called on the returned handle.
pub async fn launch(
    config: Config,
    listener: TcpListener,
    store: Store,
    bus: Bus,
    clock: Clock,
) -> anyhow::Result<Server> {
    let addr = listener.local_addr()?;
    let base_url = config.base_url(addr);
    let node = config
        .node_name
        .clone()
        .unwrap_or_else(|| format!("node-{addr}"));
    let limiter = auth::LoginLimiter::new(
        config.login_attempts_per_email,
        config.login_attempts_per_ip,
        Duration::from_secs(config.login_window_secs),
    );
    let blobs = match &config.files_url {
        Some(url) if url.starts_with("s3://") => blobs::Blobs::s3(url)?,
        Some(url) => {
            anyhow::bail!("unsupported files URL {url:?}: use s3://bucket or leave it unset")
        }
        None => blobs::Blobs::local(config.blob_dir()),
    };
    let mailer = config.smtp_url.as_deref().map(email::mailer).transpose()?;
    let state = AppState::new(state::Inner {
        config,
        store,
        bus,
        clock,
        auth_cache: Default::default(),
        limiter,
        hub: Default::default(),
        blobs,
        metrics: Default::default(),
        me_cache: Default::default(),
        post_batcher: Default::default(),
        read_status_push: Default::default(),
        rooms: Default::default(),
        mailer,
        base_url,
        node,
        shutdown: CancellationToken::new(),
    });
    let (setup_token, setup_elsewhere) = match api::setup::prepare(&state).await? {
        api::setup::SetupState::Done => (None, false),
        api::setup::SetupState::Needed(token) => (Some(token), false),
        api::setup::SetupState::NeededElsewhere => (None, true),
    };

    state.rooms.start_media(&state.config)?;
    tokio::spawn(gateway::run_relay(state.clone()));
    tokio::spawn(gateway::run_hub(state.clone()));
    tokio::spawn(jobs::run_loop(state.clone()));
    tokio::spawn(api::chat::groups::run_read_status_push(state.clone()));

    let app = router(state.clone());
    let shutdown = state.shutdown.clone();
    let hub_state = state.clone();
    let tls = match (&state.config.tls_cert, &state.config.tls_key) {
        (Some(cert), Some(key)) => {
            // One crypto provider for the process: ring (no C toolchain beyond gcc needed).
            let _ = rustls::crypto::ring::default_provider().install_default();
            Some(
                axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key)
                    .await
                    .map_err(|e| anyhow::anyhow!("cannot load TLS certificate or key: {e}"))?,
            )
        }
        _ => None,
    };
    let task = tokio::spawn(async move {
        let graceful = async move {
            shutdown.cancelled().await;
            // Sockets are long-lived: tell clients to reconnect (to this node once it is back,
            // or another), so the HTTP drain does not wait on them.
            hub_state.hub.close_all(gateway::CLOSE_RESTART);
        };
        let service = app.into_make_service_with_connect_info::<SocketAddr>();
        let result = match tls {
            None => {
                use axum::serve::ListenerExt;
                // Small WebSocket frames (signalling, events) must not wait for the peer's
                // delayed ACK: Nagle cost a meeting join ~40 ms between `welcome` and the
                // next frames.
                let listener = listener.tap_io(|tcp| {
                    let _ = tcp.set_nodelay(true);
                });
                axum::serve(listener, service)
                    .with_graceful_shutdown(graceful)
                    .await
            }
            Some(tls) => {
                let handle = axum_server::Handle::new();
                let drain = handle.clone();
                tokio::spawn(async move {
                    graceful.await;
                    drain.graceful_shutdown(Some(Duration::from_secs(30)));
                });
                match listener.into_std() {
                    Ok(std_listener) => {
                        axum_server::from_tcp_rustls(std_listener, tls)
                            .handle(handle)
                            .serve(service)
                            .await
                    }
                    Err(e) => Err(e),
                }
            }
        };
        if let Err(e) = result {
            tracing::error!(error = %e, "server stopped with an error");
        }
    });
    tracing::info!(%addr, "listening");
    Ok(Server {
        state,
        addr,
        setup_token,
        setup_elsewhere,
        task,
    })
}

pub fn router(state: AppState) -> Router {
    let request_id = axum::http::HeaderName::from_static("x-request-id");
    Router::new()
        .merge(api::router())
        .route("/healthz", get(api::ops::healthz))
        .route("/readyz", get(api::ops::readyz))
        .route("/metrics", get(api::ops::metrics))
        .fallback(web::serve)
        .method_not_allowed_fallback(api::ops::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(state.clone(), metrics::track))
        .layer(
            tower_http::trace::TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
                let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("");
                tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
            }),
        )
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(state)
}
