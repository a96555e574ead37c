//! The realtime event envelope.
//!
//! Every change is written together with an [`Audience`] and a `kind` in the same transaction
//! (the outbox). The relay gives each event a gap-free sequence number; the gateway delivers an
//! event to a socket only when the socket's user is in its audience.

use serde::{Deserialize, Serialize};

use crate::ids::{ConversationId, OrgId, UserId};
use crate::role::Role;

/// Most people one [`Audience::Users`] event names.
pub const MAX_USERS_PER_EVENT: usize = 1_000;

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
    /// Some members of an organisation (at most [`MAX_USERS_PER_EVENT`]; more people take
    /// several events), e.g. the people reminded to read an announcement.
    Users {
        org_id: OrgId,
        user_ids: Vec<UserId>,
    },
    /// Members of a chat conversation.
    Conversation {
        org_id: OrgId,
        conversation_id: ConversationId,
    },
    /// Members of a conversation and `user_id`, who has just joined: from this event on the
    /// gateway counts them as a member. Events reach sockets in order, so a socket learns of the
    /// join before the first message it may see.
    ConversationJoin {
        org_id: OrgId,
        conversation_id: ConversationId,
        user_id: UserId,
    },
    /// Members of a conversation and `user_id`, who has just left: after this event the gateway
    /// no longer counts them as a member.
    ConversationLeave {
        org_id: OrgId,
        conversation_id: ConversationId,
        user_id: UserId,
    },
}

impl Audience {
    pub fn org_id(&self) -> Option<OrgId> {
        match self {
            Audience::Org { org_id }
            | Audience::OrgAdmins { org_id }
            | Audience::Users { org_id, .. }
            | Audience::Conversation { org_id, .. }
            | Audience::ConversationJoin { org_id, .. }
            | Audience::ConversationLeave { org_id, .. } => Some(*org_id),
            Audience::User { .. } => None,
        }
    }

    /// The conversation whose members are (part of) the audience.
    pub fn conversation_id(&self) -> Option<ConversationId> {
        match self {
            Audience::Conversation {
                conversation_id, ..
            }
            | Audience::ConversationJoin {
                conversation_id, ..
            }
            | Audience::ConversationLeave {
                conversation_id, ..
            } => Some(*conversation_id),
            _ => None,
        }
    }

    /// Whether a user with these memberships (org, role) is in the audience; `member_of` says
    /// whether they are a member of a conversation (the gateway's view, updated by joins and
    /// leaves in event order).
    pub fn includes(
        &self,
        user_id: UserId,
        memberships: &[(OrgId, Role)],
        member_of: impl Fn(ConversationId) -> bool,
    ) -> bool {
        let in_org = |org: &OrgId| memberships.iter().any(|(o, _)| o == org);
        match self {
            Audience::Conversation {
                org_id,
                conversation_id,
            } => in_org(org_id) && member_of(*conversation_id),
            Audience::ConversationJoin {
                org_id,
                conversation_id,
                user_id: u,
            }
            | Audience::ConversationLeave {
                org_id,
                conversation_id,
                user_id: u,
            } => in_org(org_id) && (*u == user_id || member_of(*conversation_id)),
            Audience::User { user_id: u } => *u == user_id,
            Audience::Users { org_id, user_ids } => in_org(org_id) && user_ids.contains(&user_id),
            Audience::Org { org_id } => memberships.iter().any(|(o, _)| o == org_id),
            Audience::OrgAdmins { org_id } => memberships
                .iter()
                .any(|(o, r)| o == org_id && (r.is_admin() || *r == Role::Hr)),
        }
    }
}
