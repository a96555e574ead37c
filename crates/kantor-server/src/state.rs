//! The state every handler shares.

use std::ops::Deref;
use std::sync::Arc;

use kantor_bus::{Bus, Topic};
use kantor_core::ids::UserId;
use kantor_store::Store;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::auth::{AuthCache, LoginLimiter};
use crate::blobs::Blobs;
use crate::clock::Clock;
use crate::config::Config;
use crate::gateway::Hub;
use crate::metrics::Metrics;

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub config: Config,
    pub store: Store,
    pub bus: Bus,
    pub clock: Clock,
    pub auth_cache: AuthCache,
    pub limiter: LoginLimiter,
    pub hub: Hub,
    pub blobs: Blobs,
    pub metrics: Metrics,
    pub me_cache: crate::api::MeCache,
    /// Group commit of chat posts (SQLite).
    pub post_batcher: crate::api::chat::batch::PostBatcher,
    /// Large groups read since the last push of their read counts (this node).
    pub read_status_push: crate::api::chat::groups::ReadStatusPush,
    /// Meeting rooms open on this node (signalling and media).
    pub rooms: crate::meet::Rooms,
    /// Outgoing mail, when SMTP is configured.
    pub mailer: Option<crate::email::Mailer>,
    /// Base of links we hand out (invites, resets, setup).
    pub base_url: String,
    /// This node's name, for job leases and logs.
    pub node: String,
    /// Cancelled when the server begins to shut down.
    pub shutdown: CancellationToken,
}

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    pub fn new(inner: Inner) -> AppState {
        AppState(Arc::new(inner))
    }

    /// Tells every node (this one included) to drop cached credentials and close a user's
    /// sockets, e.g. after logout-everywhere, token revocation or deactivation. This node acts
    /// at once; others act when the bus delivers, and their short cache lifetime bounds the
    /// damage if the message is lost.
    pub async fn revoke(
        &self,
        user_id: Option<UserId>,
        credential_hashes: Vec<String>,
        close_sockets: bool,
    ) {
        let msg = Control::Revoke {
            user_id,
            credential_hashes,
            close_sockets,
        };
        self.apply_control(&msg);
        if self.bus.is_nats() {
            if let Ok(bytes) = serde_json::to_vec(&msg) {
                if let Err(e) = self.bus.publish(Topic::Control, bytes.into()).await {
                    tracing::warn!(error = %e, "could not tell other nodes about a revocation");
                }
            }
        }
    }

    pub fn apply_control(&self, msg: &Control) {
        match msg {
            Control::Revoke {
                user_id,
                credential_hashes,
                close_sockets,
            } => {
                for h in credential_hashes {
                    self.auth_cache.forget(h);
                }
                if let Some(u) = user_id {
                    self.auth_cache.forget_user(*u);
                    if *close_sockets {
                        self.hub.close_user(*u, crate::gateway::CLOSE_SESSION_ENDED);
                        self.rooms.close_user(*u);
                    }
                }
                for h in credential_hashes {
                    self.hub.close_credential(h);
                }
            }
            Control::MembershipChanged { user_id } => {
                self.hub
                    .close_user(*user_id, crate::gateway::CLOSE_RECONNECT);
            }
        }
    }

    /// A member's organisations or role changed: their sockets reconnect to pick that up.
    pub async fn membership_changed(&self, user_id: UserId) {
        let msg = Control::MembershipChanged { user_id };
        self.apply_control(&msg);
        if self.bus.is_nats() {
            if let Ok(bytes) = serde_json::to_vec(&msg) {
                let _ = self.bus.publish(Topic::Control, bytes.into()).await;
            }
        }
    }
}

/// Messages between nodes on [`Topic::Control`].
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Control {
    Revoke {
        user_id: Option<UserId>,
        credential_hashes: Vec<String>,
        close_sockets: bool,
    },
    MembershipChanged {
        user_id: UserId,
    },
}
