//! The realtime event envelope.
//!
//! Every change is written together with an [`Audience`] and a `kind` in the same transaction
//! (the outbox). The relay gives each event a gap-free sequence number; the gateway delivers an
//! event to a socket only when the socket's user is in its audience.

use serde::{Deserialize, Serialize};

use crate::ids::{OrgId, UserId};
use crate::role::Role;

/// Who may see an event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Audience {
    /// Every active member of the organisation.
    Org { org_id: OrgId },
    /// Members of the organisation with an admin role (owner, admin) or HR.
    OrgAdmins { org_id: OrgId },
    /// One person, whatever organisation they look at.
    User { user_id: UserId },
}

impl Audience {
    pub fn org_id(&self) -> Option<OrgId> {
        match self {
            Audience::Org { org_id } | Audience::OrgAdmins { org_id } => Some(*org_id),
            Audience::User { .. } => None,
        }
    }

    /// Whether a user with these memberships (org, role) is in the audience.
    pub fn includes(&self, user_id: UserId, memberships: &[(OrgId, Role)]) -> bool {
        match self {
            Audience::User { user_id: u } => *u == user_id,
            Audience::Org { org_id } => memberships.iter().any(|(o, _)| o == org_id),
            Audience::OrgAdmins { org_id } => memberships
                .iter()
                .any(|(o, r)| o == org_id && (r.is_admin() || *r == Role::Hr)),
        }
    }
}
