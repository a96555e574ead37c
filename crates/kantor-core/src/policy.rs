//! Authorisation: the one module every endpoint asks before it acts.
//!
//! Handlers build an [`Actor`] from the authenticated membership and call [`allows`] with an
//! [`Action`]. Tenancy is checked before this point: an actor only ever exists for an
//! organisation the caller belongs to, and resources of other organisations are not found at
//! all (404), so this module decides only *what a member may do inside their organisation*.

use crate::ids::{OrgId, UnitId, UserId};
use crate::role::{MemberStatus, Role};

/// The caller, as a member of one organisation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub user_id: UserId,
    pub org_id: OrgId,
    pub role: Role,
    pub status: MemberStatus,
    /// Units this member leads; a leader has rights over their units' people (approvals later).
    pub leads_units: Vec<UnitId>,
    /// The organisation requires two-factor login for admins and this member has none yet.
    pub second_factor_missing: bool,
}

/// Why an action is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Denied {
    /// The role does not allow it.
    Forbidden,
    /// The role allows it, but the organisation requires two-factor login for admins first.
    SecondFactorRequired,
}

/// Something a member may want to do in their organisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    ReadOrg,
    UpdateOrg,
    ListMembers,
    ReadMember,
    /// Change a member's role. `target_role` is the role being granted or taken away.
    ChangeRole {
        current: Role,
        new: Role,
    },
    /// Change unit, position or employee number.
    UpdateMemberProfile,
    Deactivate {
        target_role: Role,
    },
    IssuePasswordReset {
        target_role: Role,
    },
    ReadUnits,
    ManageUnits,
    ManageInvites,
    InviteRole {
        role: Role,
    },
    ImportMembers,
    ReadAudit,
    /// Browse public channels, start DMs and create channels (guests only talk where added).
    ChatParticipate,
    /// Delete others' messages, rename, archive or remove members of any channel.
    ChatModerate,
    /// Start a meeting and browse the organisation's meetings (guests only join meetings
    /// they are given the number and passcode of).
    HostMeeting,
}

/// Decides an action: allowed, forbidden by role, or waiting for two-factor setup. Members who
/// administer (owner, admin) must have two-factor login for admin actions when the organisation
/// says so; reading stays open so they can reach the security page.
pub fn check(actor: &Actor, action: Action) -> Result<(), Denied> {
    if !allows(actor, action) {
        return Err(Denied::Forbidden);
    }
    if actor.second_factor_missing && actor.role.is_admin() && is_admin_action(action) {
        return Err(Denied::SecondFactorRequired);
    }
    Ok(())
}

fn is_admin_action(action: Action) -> bool {
    !matches!(
        action,
        Action::ReadOrg
            | Action::ReadUnits
            | Action::ListMembers
            | Action::ReadMember
            | Action::ChatParticipate
            | Action::HostMeeting
    )
}

/// Whether `actor`'s role permits `action` (ignoring the two-factor rule; see [`check`]).
pub fn allows(actor: &Actor, action: Action) -> bool {
    if actor.status != MemberStatus::Active {
        return false;
    }
    let role = actor.role;
    match action {
        Action::ReadOrg | Action::ReadUnits => true,
        Action::ListMembers
        | Action::ReadMember
        | Action::ChatParticipate
        | Action::HostMeeting => role != Role::Guest,
        Action::ChatModerate => role.is_admin(),
        Action::UpdateOrg | Action::ManageUnits | Action::ManageInvites | Action::ReadAudit => {
            role.is_admin()
        }
        Action::ImportMembers | Action::UpdateMemberProfile => role.is_admin() || role == Role::Hr,
        // Only an owner makes or unmakes owners; admins manage everyone else.
        Action::ChangeRole { current, new } => {
            if current == Role::Owner || new == Role::Owner {
                role == Role::Owner
            } else {
                role.is_admin()
            }
        }
        Action::Deactivate { target_role } | Action::IssuePasswordReset { target_role } => {
            if target_role == Role::Owner {
                role == Role::Owner
            } else {
                role.is_admin()
            }
        }
        Action::InviteRole { role: invited } => {
            if invited == Role::Owner {
                role == Role::Owner
            } else {
                role.is_admin()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn actor(role: Role) -> Actor {
        Actor {
            user_id: UserId(Uuid::nil()),
            org_id: OrgId(Uuid::nil()),
            role,
            status: MemberStatus::Active,
            leads_units: vec![],
            second_factor_missing: false,
        }
    }

    fn check(role: Role, action: Action, expect: bool) {
        assert_eq!(allows(&actor(role), action), expect, "{role:?} {action:?}");
    }

    #[test]
    fn members_read_but_do_not_administer() {
        check(Role::Member, Action::ListMembers, true);
        check(Role::Member, Action::ManageUnits, false);
        check(Role::Member, Action::ReadAudit, false);
        check(Role::Member, Action::ImportMembers, false);
        check(Role::Guest, Action::ListMembers, false);
        check(Role::Guest, Action::ReadOrg, true);
        check(Role::Member, Action::HostMeeting, true);
        check(Role::Guest, Action::HostMeeting, false);
    }

    #[test]
    fn hr_imports_and_edits_profiles_but_not_roles() {
        check(Role::Hr, Action::ImportMembers, true);
        check(Role::Hr, Action::UpdateMemberProfile, true);
        check(
            Role::Hr,
            Action::ChangeRole {
                current: Role::Member,
                new: Role::Admin,
            },
            false,
        );
        check(Role::Hr, Action::ManageInvites, false);
    }

    #[test]
    fn only_owners_touch_owners() {
        check(
            Role::Admin,
            Action::ChangeRole {
                current: Role::Member,
                new: Role::Admin,
            },
            true,
        );
        check(
            Role::Admin,
            Action::ChangeRole {
                current: Role::Member,
                new: Role::Owner,
            },
            false,
        );
        check(
            Role::Admin,
            Action::ChangeRole {
                current: Role::Owner,
                new: Role::Admin,
            },
            false,
        );
        check(
            Role::Owner,
            Action::ChangeRole {
                current: Role::Owner,
                new: Role::Admin,
            },
            true,
        );
        check(
            Role::Admin,
            Action::Deactivate {
                target_role: Role::Owner,
            },
            false,
        );
        check(Role::Admin, Action::InviteRole { role: Role::Owner }, false);
    }

    #[test]
    fn admins_without_a_second_factor_may_read_but_not_administer_when_required() {
        let mut a = actor(Role::Admin);
        a.second_factor_missing = true;
        assert_eq!(super::check(&a, Action::ListMembers), Ok(()));
        assert_eq!(
            super::check(&a, Action::ManageUnits),
            Err(Denied::SecondFactorRequired)
        );
        let mut m = actor(Role::Member);
        m.second_factor_missing = true;
        assert_eq!(
            super::check(&m, Action::ManageUnits),
            Err(Denied::Forbidden)
        );
    }

    #[test]
    fn deactivated_members_may_do_nothing() {
        let mut a = actor(Role::Owner);
        a.status = MemberStatus::Deactivated;
        assert!(!allows(&a, Action::ReadOrg));
    }
}
