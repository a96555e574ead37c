//! Newtype ids. Every id is a UUIDv7, so ids sort by creation time, which keeps cursor
//! pagination and B-tree inserts cheap. Ids are stored as their 36-character text form in both
//! databases. Generating an id needs the clock, so this crate only wraps a given `Uuid`; the
//! store calls `Uuid::now_v7()`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            pub fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

id_type!(
    /// An organisation (tenant).
    OrgId
);
id_type!(
    /// A person's account; one account may belong to several organisations.
    UserId
);
id_type!(
    /// A unit of work inside an organisation (bidang, seksi, division, squad).
    UnitId
);
id_type!(
    /// A signed-in browser session.
    SessionId
);
id_type!(
    /// A personal API token.
    TokenId
);
id_type!(
    /// An invitation link.
    InviteId
);
id_type!(
    /// A staff import (preview, then confirm).
    ImportId
);
id_type!(
    /// A stored file (blob).
    FileId
);
id_type!(
    /// An audit log entry.
    AuditId
);
id_type!(
    /// A durable job.
    JobId
);
id_type!(
    /// A chat conversation: a channel, a direct message or a group DM.
    ConversationId
);
id_type!(
    /// A chat message (also a thread reply).
    MessageId
);
id_type!(
    /// A message scheduled to be sent later.
    ScheduledId
);
id_type!(
    /// A meeting (instant now, scheduled later); its people-facing number is separate.
    MeetingId
);
id_type!(
    /// One person's (or one guest's) place in one meeting.
    ParticipantId
);
id_type!(
    /// An incoming or outgoing chat webhook.
    WebhookId
);
