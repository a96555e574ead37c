//! The HTTP API under `/api/v1`: one module per resource, each handler thin — parse,
//! authorise (see [`crate::auth`] and `kantor_core::policy`), call the store in one
//! transaction, serialise. Response shapes (`*Dto`) live here so the OpenAPI spec and the web
//! app's generated types have one source.

pub mod chat;
pub mod files;
pub mod holidays;
pub mod imports;
pub mod invites;
pub mod me;
pub mod meet;
pub mod members;
pub mod ops;
pub mod push;
pub mod session;
pub mod setup;
pub mod units;

use axum::http::{header, HeaderMap, HeaderValue};
use axum::routing::{delete, get, patch, post, put};
use axum::Router;
use kantor_core::event::Audience;
use kantor_core::ids::{OrgId, UnitId, UserId};
use kantor_core::role::{MemberStatus, Role};
use kantor_store::accounts::User;
use kantor_store::orgs::{Member, Membership, Org};
use kantor_store::Tx;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use crate::clock::rfc3339;
use crate::error::ApiResult;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/setup", get(setup::status).post(setup::complete))
        .route("/api/v1/auth/login", post(session::login))
        .route("/api/v1/auth/logout", post(session::logout))
        .route("/api/v1/auth/logout-all", post(session::logout_all))
        .route("/api/v1/me", get(me::get_me).patch(me::patch_me))
        .route("/api/v1/me/avatar", put(me::put_avatar))
        .route("/api/v1/me/password", post(me::change_password))
        .route("/api/v1/me/sessions", get(me::list_sessions))
        .route(
            "/api/v1/me/sessions/{session_id}",
            delete(me::delete_session),
        )
        .route("/api/v1/me/totp/setup", post(me::totp_setup))
        .route("/api/v1/me/totp/enable", post(me::totp_enable))
        .route("/api/v1/me/totp/disable", post(me::totp_disable))
        .route(
            "/api/v1/me/tokens",
            get(me::list_tokens).post(me::create_token),
        )
        .route("/api/v1/me/tokens/{token_id}", delete(me::revoke_token))
        .route("/api/v1/push/key", get(push::key))
        .route(
            "/api/v1/me/push-subscriptions",
            post(push::subscribe).delete(push::unsubscribe),
        )
        .route("/api/v1/files/{file_id}", get(files::get_file))
        .route("/api/v1/invites/{token}", get(invites::show_public))
        .route("/api/v1/invites/{token}/accept", post(invites::accept))
        .route(
            "/api/v1/password-resets/{token}",
            get(invites::show_reset).post(invites::complete_reset),
        )
        .route(
            "/api/v1/orgs/{org_id}",
            get(members::get_org).patch(members::patch_org),
        )
        .route("/api/v1/orgs/{org_id}/members", get(members::list))
        .route(
            "/api/v1/orgs/{org_id}/members/{user_id}",
            get(members::get_member).patch(members::patch_member),
        )
        .route(
            "/api/v1/orgs/{org_id}/members/{user_id}/deactivate",
            post(members::deactivate),
        )
        .route(
            "/api/v1/orgs/{org_id}/members/{user_id}/reactivate",
            post(members::reactivate),
        )
        .route(
            "/api/v1/orgs/{org_id}/members/{user_id}/password-reset",
            post(members::password_reset),
        )
        .route(
            "/api/v1/orgs/{org_id}/units",
            get(units::list).post(units::create),
        )
        .route(
            "/api/v1/orgs/{org_id}/units/{unit_id}",
            patch(units::update).delete(units::remove),
        )
        .route(
            "/api/v1/orgs/{org_id}/invites",
            get(invites::list).post(invites::create),
        )
        .route(
            "/api/v1/orgs/{org_id}/invites/{invite_id}",
            delete(invites::revoke),
        )
        .route("/api/v1/orgs/{org_id}/imports", post(imports::preview))
        .route(
            "/api/v1/orgs/{org_id}/imports/{import_id}",
            get(imports::show),
        )
        .route(
            "/api/v1/orgs/{org_id}/imports/{import_id}/confirm",
            post(imports::confirm),
        )
        .route("/api/v1/orgs/{org_id}/audit", get(members::audit))
        .route("/api/v1/me/status", put(chat::presence::put_status))
        .route("/api/v1/me/dnd", put(chat::presence::put_dnd))
        .route(
            "/api/v1/orgs/{org_id}/chat/conversations",
            get(chat::list).post(chat::create),
        )
        .route("/api/v1/orgs/{org_id}/chat/channels", get(chat::browse))
        .route(
            "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}",
            get(chat::get).patch(chat::patch),
        )
        .route(
            "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/join",
            post(chat::join),
        )
        .route(
            "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/leave",
            post(chat::leave),
        )
        .route(
            "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/archive",
            post(chat::archive),
        )
        .route(
            "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/unarchive",
            post(chat::unarchive),
        )
        .route(
            "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/members",
            get(chat::members).post(chat::add_members),
        )
        .route(
            "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/members/{user_id}",
            delete(chat::remove_member),
        )
        .route(
            "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/members/{user_id}/role",
            put(chat::groups::set_role),
        )
        .route(
            "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/read-status",
            get(chat::groups::read_status),
        )
        .route(
            "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/messages/{message_id}/readers",
            get(chat::groups::readers),
        )
        .route(
            "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/messages/{message_id}/remind",
            post(chat::groups::remind),
        )
        .route(
            "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/me",
            patch(chat::patch_me),
        )
        .route(
            "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/read",
            post(chat::read),
        )
        .route(
            "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/messages",
            get(chat::messages::list).post(chat::messages::post),
        )
        .route(
            "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/messages/{message_id}",
            patch(chat::messages::edit).delete(chat::messages::delete),
        )
        .route(
            "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/messages/{message_id}/thread",
            get(chat::messages::thread),
        )
        .route(
            "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/messages/{message_id}/edits",
            get(chat::messages::edits),
        )
        .route(
            "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/messages/{message_id}/reactions/{emoji}",
            put(chat::messages::add_reaction).delete(chat::messages::remove_reaction),
        )
        .route(
            "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/messages/{message_id}/pin",
            put(chat::messages::pin_message).delete(chat::messages::unpin_message),
        )
        .route(
            "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/pins",
            get(chat::messages::pins),
        )
        .route(
            "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/scheduled",
            post(chat::scheduled::create),
        )
        .route("/api/v1/orgs/{org_id}/chat/scheduled", get(chat::scheduled::list))
        .route(
            "/api/v1/orgs/{org_id}/chat/scheduled/{scheduled_id}",
            delete(chat::scheduled::cancel),
        )
        .route("/api/v1/orgs/{org_id}/chat/files", post(chat::files::upload))
        .route("/api/v1/orgs/{org_id}/chat/presence", get(chat::presence::list))
        .route("/api/v1/orgs/{org_id}/chat/search", get(chat::search::search))
        .route(
            "/api/v1/orgs/{org_id}/chat/webhooks/incoming",
            get(chat::webhooks::list_incoming).post(chat::webhooks::create_incoming),
        )
        .route(
            "/api/v1/orgs/{org_id}/chat/webhooks/incoming/{webhook_id}",
            delete(chat::webhooks::delete_incoming),
        )
        .route(
            "/api/v1/orgs/{org_id}/chat/webhooks/outgoing",
            get(chat::webhooks::list_outgoing).post(chat::webhooks::create_outgoing),
        )
        .route(
            "/api/v1/orgs/{org_id}/chat/webhooks/outgoing/{webhook_id}",
            delete(chat::webhooks::delete_outgoing),
        )
        .route(
            "/api/v1/orgs/{org_id}/chat/webhooks/allow-list",
            get(chat::webhooks::get_allow_list).put(chat::webhooks::put_allow_list),
        )
        .route("/hooks/{secret}", post(chat::webhooks::receive))
        .route(
            "/api/v1/orgs/{org_id}/bots",
            get(chat::bots::list).post(chat::bots::create),
        )
        .route(
            "/api/v1/orgs/{org_id}/bots/{user_id}",
            delete(chat::bots::delete),
        )
        .route(
            "/api/v1/orgs/{org_id}/bots/{user_id}/commands",
            put(chat::commands::set_bot_commands),
        )
        .route(
            "/api/v1/orgs/{org_id}/bots/{user_id}/interaction-url",
            put(chat::commands::set_interaction_url),
        )
        .route(
            "/api/v1/orgs/{org_id}/chat/commands",
            get(chat::commands::list_commands),
        )
        .route(
            "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/commands",
            post(chat::commands::run_command),
        )
        .route(
            "/api/v1/orgs/{org_id}/chat/reminders",
            get(chat::commands::list_reminders),
        )
        .route(
            "/api/v1/orgs/{org_id}/chat/reminders/{reminder_id}",
            delete(chat::commands::cancel_reminder),
        )
        .route(
            "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/messages/{message_id}/poll",
            get(chat::commands::get_poll),
        )
        .route(
            "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/messages/{message_id}/poll/vote",
            put(chat::commands::vote),
        )
        .route(
            "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/messages/{message_id}/poll/close",
            post(chat::commands::close_poll),
        )
        .route(
            "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/messages/{message_id}/actions",
            post(chat::bots::action),
        )
        .route(
            "/api/v1/orgs/{org_id}/chat/retention",
            get(chat::retention::get_retention).put(chat::retention::put_retention),
        )
        .route(
            "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/legal-hold",
            put(chat::retention::put_legal_hold),
        )
        .route(
            "/api/v1/orgs/{org_id}/chat/exports",
            get(chat::retention::list_exports).post(chat::retention::create_export),
        )
        .route(
            "/api/v1/orgs/{org_id}/chat/exports/{export_id}/download",
            get(chat::retention::download_export),
        )
        .route("/api/v1/meet/join", post(meet::join::join))
        .route(
            "/api/v1/orgs/{org_id}/meetings",
            get(meet::list).post(meet::create),
        )
        .route(
            "/api/v1/orgs/{org_id}/meetings/personal",
            get(meet::personal),
        )
        .route("/api/v1/orgs/{org_id}/holidays", get(holidays::list))
        .route(
            "/api/v1/orgs/{org_id}/meetings/{meeting_id}/invitees",
            get(meet::schedule::invitees),
        )
        .route(
            "/api/v1/orgs/{org_id}/meetings/{meeting_id}/occurrences/{date}",
            put(meet::schedule::change_occurrence),
        )
        .route(
            "/api/v1/orgs/{org_id}/meetings/{meeting_id}/invitation.ics",
            get(meet::schedule::invitation),
        )
        .route("/api/v1/orgs/{org_id}/calendar", get(meet::schedule::calendar))
        .route(
            "/api/v1/orgs/{org_id}/calendar/feed",
            post(meet::schedule::make_feed),
        )
        .route("/calendar/{token}", get(meet::schedule::feed))
        .route(
            "/api/v1/orgs/{org_id}/holidays/{day}",
            put(holidays::put).delete(holidays::delete),
        )
        .route(
            "/api/v1/orgs/{org_id}/meetings/{meeting_id}",
            get(meet::get)
                .patch(meet::patch)
                .delete(meet::schedule::cancel),
        )
        .route(
            "/api/v1/orgs/{org_id}/meetings/{meeting_id}/end",
            post(meet::end),
        )
        .route(
            "/api/v1/orgs/{org_id}/meetings/{meeting_id}/mute-all",
            post(meet::mute_all),
        )
        .route(
            "/api/v1/orgs/{org_id}/meetings/{meeting_id}/attendance",
            get(meet::attendance::report),
        )
        .route(
            "/api/v1/orgs/{org_id}/meetings/{meeting_id}/attendance.xlsx",
            get(meet::attendance::xlsx),
        )
        .route(
            "/api/v1/orgs/{org_id}/meetings/{meeting_id}/attendance.csv",
            get(meet::attendance::csv),
        )
        .route(
            "/api/v1/orgs/{org_id}/meetings/{meeting_id}/participants",
            get(meet::participants),
        )
        .route(
            "/api/v1/orgs/{org_id}/meetings/{meeting_id}/participants/{participant_id}/rename",
            post(meet::actions::rename),
        )
        .route(
            "/api/v1/orgs/{org_id}/meetings/{meeting_id}/participants/{participant_id}/{action}",
            post(meet::actions::act),
        )
        .route("/api/v1/ws", get(crate::gateway::ws))
        .route("/api/v1/meet/ws", get(crate::meet::ws::ws))
        .route("/api/v1/openapi.json", get(ops::openapi))
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Kantor API", description = "Kantor's HTTP API. Conventions: docs/API.md."),
    servers((url = "/", description = "The Kantor server that serves this document")),
    paths(
        setup::status, setup::complete,
        session::login, session::logout, session::logout_all,
        me::get_me, me::patch_me, me::put_avatar, me::change_password, me::list_sessions, me::delete_session,
        me::totp_setup, me::totp_enable, me::totp_disable, me::list_tokens, me::create_token, me::revoke_token,
        push::key, push::subscribe, push::unsubscribe,
        files::get_file,
        invites::show_public, invites::accept, invites::show_reset, invites::complete_reset,
        members::get_org, members::patch_org, members::list, members::get_member, members::patch_member,
        members::deactivate, members::reactivate, members::password_reset, members::audit,
        units::list, units::create, units::update, units::remove,
        invites::list, invites::create, invites::revoke,
        imports::preview, imports::show, imports::confirm,
        chat::list, chat::browse, chat::create, chat::get, chat::patch, chat::join, chat::leave,
        chat::archive, chat::unarchive, chat::members, chat::add_members, chat::remove_member,
        chat::patch_me, chat::read,
        chat::groups::set_role, chat::groups::read_status, chat::groups::readers, chat::groups::remind,
        chat::messages::list, chat::messages::post, chat::messages::thread, chat::messages::edit,
        chat::messages::edits, chat::messages::delete, chat::messages::add_reaction,
        chat::messages::remove_reaction, chat::messages::pin_message, chat::messages::unpin_message,
        chat::messages::pins,
        chat::scheduled::create, chat::scheduled::list, chat::scheduled::cancel,
        chat::files::upload,
        chat::presence::list, chat::presence::put_status, chat::presence::put_dnd,
        chat::search::search,
        chat::webhooks::create_incoming, chat::webhooks::list_incoming, chat::webhooks::delete_incoming,
        chat::webhooks::receive,
        chat::webhooks::create_outgoing, chat::webhooks::list_outgoing, chat::webhooks::delete_outgoing,
        chat::webhooks::get_allow_list, chat::webhooks::put_allow_list,
        chat::bots::create, chat::bots::list, chat::bots::delete, chat::bots::action,
        chat::commands::set_bot_commands, chat::commands::set_interaction_url,
        chat::commands::list_commands, chat::commands::run_command,
        chat::commands::list_reminders, chat::commands::cancel_reminder,
        chat::commands::get_poll, chat::commands::vote, chat::commands::close_poll,
        chat::retention::get_retention, chat::retention::put_retention,
        chat::retention::put_legal_hold, chat::retention::create_export,
        chat::retention::list_exports, chat::retention::download_export,
        meet::join::join, meet::create, meet::list, meet::get, meet::patch, meet::end,
        meet::personal, holidays::list, holidays::put, holidays::delete,
        meet::schedule::invitees, meet::schedule::change_occurrence, meet::schedule::invitation,
        meet::schedule::calendar, meet::schedule::make_feed, meet::schedule::feed,
        meet::schedule::cancel,
        meet::participants, meet::mute_all, meet::actions::act, meet::actions::rename,
        meet::attendance::report, meet::attendance::xlsx, meet::attendance::csv,
        crate::gateway::ws,
        ops::openapi,
    ),
    components(schemas(Language, meet::actions::ParticipantActionDto)),
    modifiers(&SecuritySchemes),
    // Every operation needs a signed-in caller unless it says otherwise (`security: [{}]`).
    security(("session" = []), ("token" = [])),
    tags(
        (name = "setup", description = "First-run setup of the first organisation."),
        (name = "auth", description = "Signing in and out; public invite and password-reset links."),
        (name = "me", description = "The signed-in person: profile, sessions, two-factor login, API tokens, files."),
        (name = "orgs", description = "An organisation: settings, members, units, invites, staff import, audit log."),
        (name = "chat", description = "Channels, direct messages and groups: messages, threads, reactions, files, read positions, scheduled messages, presence."),
        (name = "meetings", description = "Video meetings: the public join by number and passcode, meetings of an organisation, host controls."),
        (name = "integrations", description = "Incoming and outgoing webhooks: posting into a channel from outside, and sending matching messages out, signed."),
        (name = "realtime", description = "The WebSocket that pushes events to the web app."),
        (name = "ops", description = "Operations: this document."),
    )
)]
pub struct ApiDoc;

/// The two ways to authenticate: the session cookie (browsers) and personal API tokens.
struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme,
        };
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::auth::SESSION_COOKIE,
                "Set by login, setup and invite accept. Writes (POST, PUT, PATCH, DELETE) made \
                 with it also need the `X-CSRF-Token` header (`csrf_token` from `GET /me`).",
            ))),
        );
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A personal API token (`POST /me/tokens`)."))
                    .build(),
            ),
        );
    }
}

pub fn openapi_json() -> String {
    ApiDoc::openapi().to_pretty_json().unwrap_or_default()
}

// --- shapes ------------------------------------------------------------------------------------

/// UI and account language: `id` (Bahasa Indonesia, the default) or `en`.
// Only for the schema (`value_type = Language`): the server keeps languages as strings checked
// by `kantor_core::validate::language`.
#[derive(Serialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    Id,
    En,
}

#[derive(Serialize, ToSchema, Clone)]
pub struct UserDto {
    pub id: String,
    pub email: String,
    pub name: String,
    #[schema(required = true)]
    pub phone: Option<String>,
    #[schema(value_type = Language)]
    pub language: String,
    pub time_zone: String,
    #[schema(required = true)]
    pub avatar_url: Option<String>,
    pub totp_enabled: bool,
}

impl From<&User> for UserDto {
    fn from(u: &User) -> Self {
        UserDto {
            id: u.id.to_string(),
            email: u.email.clone(),
            name: u.name.clone(),
            phone: u.phone.clone(),
            language: u.language.clone(),
            time_zone: u.time_zone.clone(),
            avatar_url: u
                .avatar_file_id
                .as_ref()
                .map(|f| format!("/api/v1/files/{f}")),
            totp_enabled: u.totp_enabled,
        }
    }
}

#[derive(Serialize, ToSchema, Clone)]
pub struct OrgDto {
    pub id: String,
    pub name: String,
    pub default_time_zone: String,
    pub require_2fa_for_admins: bool,
    pub created_at: String,
    /// Members who are not deactivated (active and invited); only in `GET /orgs/{org_id}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub member_count: Option<i64>,
}

impl From<&Org> for OrgDto {
    fn from(o: &Org) -> Self {
        OrgDto {
            id: o.id.to_string(),
            name: o.name.clone(),
            default_time_zone: o.default_time_zone.clone(),
            require_2fa_for_admins: o.require_2fa_for_admins,
            created_at: rfc3339(o.created_at),
            member_count: None,
        }
    }
}

/// A role as the API reads and writes it.
#[derive(Serialize, Deserialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum RoleDto {
    Owner,
    Admin,
    Hr,
    Member,
    Guest,
}

impl From<Role> for RoleDto {
    fn from(r: Role) -> Self {
        match r {
            Role::Owner => RoleDto::Owner,
            Role::Admin => RoleDto::Admin,
            Role::Hr => RoleDto::Hr,
            Role::Member => RoleDto::Member,
            Role::Guest => RoleDto::Guest,
        }
    }
}

impl From<RoleDto> for Role {
    fn from(r: RoleDto) -> Role {
        match r {
            RoleDto::Owner => Role::Owner,
            RoleDto::Admin => Role::Admin,
            RoleDto::Hr => Role::Hr,
            RoleDto::Member => Role::Member,
            RoleDto::Guest => Role::Guest,
        }
    }
}

#[derive(Serialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum StatusDto {
    Invited,
    Active,
    Deactivated,
}

impl From<MemberStatus> for StatusDto {
    fn from(s: MemberStatus) -> Self {
        match s {
            MemberStatus::Invited => StatusDto::Invited,
            MemberStatus::Active => StatusDto::Active,
            MemberStatus::Deactivated => StatusDto::Deactivated,
        }
    }
}

#[derive(Serialize, ToSchema, Clone)]
pub struct MembershipDto {
    pub org: OrgDto,
    pub role: RoleDto,
    pub status: StatusDto,
    #[schema(required = true)]
    pub unit_id: Option<String>,
    #[schema(required = true)]
    pub position: Option<String>,
    #[schema(required = true)]
    pub employee_number: Option<String>,
    /// Leads at least one unit.
    pub is_leader: bool,
}

#[derive(Serialize, ToSchema, Clone)]
pub struct MeDto {
    pub user: UserDto,
    /// Active memberships only.
    pub memberships: Vec<MembershipDto>,
    /// Send this in `X-CSRF-Token` on writes made with the session cookie. Null for API tokens.
    #[schema(required = true)]
    pub csrf_token: Option<String>,
    /// Chat status and do-not-disturb hours.
    pub chat_status: chat::presence::ChatStatusDto,
}

#[derive(Serialize, ToSchema)]
pub struct MemberDto {
    /// The member's user id.
    pub id: String,
    pub name: String,
    pub email: String,
    #[schema(required = true)]
    pub phone: Option<String>,
    #[schema(required = true)]
    pub avatar_url: Option<String>,
    pub time_zone: String,
    pub role: RoleDto,
    pub status: StatusDto,
    #[schema(required = true)]
    pub unit_id: Option<String>,
    #[schema(required = true)]
    pub position: Option<String>,
    #[schema(required = true)]
    pub employee_number: Option<String>,
    pub joined_at: String,
}

impl From<&Member> for MemberDto {
    fn from(m: &Member) -> Self {
        let Member { user, membership } = m;
        MemberDto {
            id: user.id.to_string(),
            name: user.name.clone(),
            email: user.email.clone(),
            phone: user.phone.clone(),
            avatar_url: user
                .avatar_file_id
                .as_ref()
                .map(|f| format!("/api/v1/files/{f}")),
            time_zone: user.time_zone.clone(),
            role: membership.role.into(),
            status: membership.status.into(),
            unit_id: membership.unit_id.map(|u| u.to_string()),
            position: membership.position.clone(),
            employee_number: membership.employee_number.clone(),
            joined_at: rfc3339(membership.created_at),
        }
    }
}

fn membership_dto(org: &Org, m: &Membership, is_leader: bool) -> MembershipDto {
    MembershipDto {
        org: org.into(),
        role: m.role.into(),
        status: m.status.into(),
        unit_id: m.unit_id.map(|u| u.to_string()),
        position: m.position.clone(),
        employee_number: m.employee_number.clone(),
        is_leader,
    }
}

/// Recently built `Me` responses (without the CSRF token), valid while nothing has changed:
/// no local write with events since (the store's write generation) and no event from another
/// node (the hub's position). `GET /me` is the hottest read; this keeps it off the database.
#[derive(Default)]
pub struct MeCache {
    entries: dashmap::DashMap<UserId, (u64, i64, MeDto)>,
}

const ME_CACHE_MAX: usize = 100_000;

/// The signed-in user's account and active memberships.
pub async fn build_me(
    state: &AppState,
    user_id: UserId,
    csrf_token: Option<String>,
) -> ApiResult<MeDto> {
    let (generation, seq) = (state.store.write_generation(), state.hub.last_seq());
    if let Some(hit) = state.me_cache.entries.get(&user_id) {
        let (g, s, me) = hit.value();
        if *g == generation && *s == seq {
            let mut me = me.clone();
            me.csrf_token = csrf_token;
            return Ok(me);
        }
    }
    let mut me = load_me(state, user_id).await?;
    if state.me_cache.entries.len() >= ME_CACHE_MAX {
        state.me_cache.entries.clear();
    }
    state
        .me_cache
        .entries
        .insert(user_id, (generation, seq, me.clone()));
    me.csrf_token = csrf_token;
    Ok(me)
}

async fn load_me(state: &AppState, user_id: UserId) -> ApiResult<MeDto> {
    let csrf_token = None;
    let user = state.store.user(user_id).await?;
    let status =
        kantor_store::chat::user_status(&mut *state.store.read_conn().await?, user_id).await?;
    let memberships = state.store.memberships_of(user_id).await?;
    let mut out = Vec::with_capacity(memberships.len());
    let mut conn = state.store.read_conn().await?;
    for (org, m) in memberships
        .iter()
        .filter(|(_, m)| m.status == MemberStatus::Active)
    {
        let led = kantor_store::orgs::units_led_by(&mut conn, org.id, user_id).await?;
        out.push(membership_dto(org, m, !led.is_empty()));
    }
    Ok(MeDto {
        user: (&user).into(),
        memberships: out,
        csrf_token,
        chat_status: chat::presence::status_dto(&status, state.clock.now_ms()),
    })
}

/// Emits an event in the caller's transaction.
pub async fn emit(
    tx: &mut Tx,
    audience: Audience,
    kind: &str,
    payload: serde_json::Value,
    now: i64,
) -> ApiResult<()> {
    kantor_store::events::emit(tx, &audience, kind, &payload, now).await?;
    Ok(())
}

/// Records an audit entry in the caller's transaction.
pub async fn audit(
    tx: &mut Tx,
    org_id: OrgId,
    actor: Option<UserId>,
    action: &str,
    target: Option<String>,
    detail: serde_json::Value,
    now: i64,
) -> ApiResult<()> {
    kantor_store::audit::record(tx, org_id, actor, action, target.as_deref(), &detail, now).await?;
    Ok(())
}

/// `Set-Cookie` for a new session.
pub fn session_cookie(state: &AppState, token: &str) -> HeaderValue {
    let secure = if state.config.cookies_secure() {
        "; Secure"
    } else {
        ""
    };
    let max_age = state.config.session_ttl_days as i64 * 86_400;
    HeaderValue::from_str(&format!(
        "{}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}",
        crate::auth::SESSION_COOKIE
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

pub fn clear_cookie() -> HeaderValue {
    HeaderValue::from_static("kantor_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
}

pub fn user_agent(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.chars().take(300).collect())
}

pub fn parse_id<T: std::str::FromStr>(s: &str) -> ApiResult<T> {
    s.parse().map_err(|_| crate::error::ApiError::not_found())
}

pub fn parse_unit(field: &str, s: Option<&str>) -> ApiResult<Option<UnitId>> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s.parse().map(Some).map_err(|_| {
            crate::error::ApiError::invalid(field, "validation.invalid", "not a unit id")
        }),
    }
}
