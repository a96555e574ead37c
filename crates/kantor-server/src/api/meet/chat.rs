//! Meeting chat: every meeting has a chat conversation of kind `meeting` whose topic is the
//! meeting's title. Members of the organisation join it when they are admitted to the meeting
//! (at join or by a host) and leave it when a host removes them, in the same transaction as
//! that change, with the usual membership events, so the chat follows the meeting. Guests have
//! no account: their lines reach the room only (see `crate::meet::room`).
//!
//! Messages are ordinary chat messages: the room posts a member's line through
//! [`crate::api::chat::messages::post_message`] and shows whatever the conversation receives
//! (from the room or from the chat page) as the hub delivers it.

use kantor_core::chat::Kind;
use kantor_core::ids::{ConversationId, UserId};
use kantor_store::chat as chat_store;
use kantor_store::meet::{self as store, Meeting};
use kantor_store::Tx;

use crate::api::chat::{emit_membership, emit_updated};
use crate::error::ApiResult;

/// Makes the chat conversation of a new meeting, with its host as the first member.
pub async fn create(tx: &mut Tx, m: &Meeting, now: i64) -> ApiResult<ConversationId> {
    let id = chat_store::insert_conversation(
        &mut *tx,
        &chat_store::NewConversation {
            org_id: m.org_id,
            kind: Kind::Meeting,
            name: None,
            topic: &m.title,
            description: "",
            dm_key: None,
            created_by: m.host_id,
        },
        now,
    )
    .await?;
    store::set_meeting_conversation(&mut *tx, m.id, id).await?;
    let with_chat = Meeting {
        conversation_id: Some(id),
        ..m.clone()
    };
    join(tx, &with_chat, m.host_id, now).await?;
    Ok(id)
}

/// Adds an admitted member to the meeting's chat (nothing if they are in it already, or the
/// meeting predates meeting chat).
pub async fn join(tx: &mut Tx, m: &Meeting, user_id: UserId, now: i64) -> ApiResult<()> {
    let Some(cid) = m.conversation_id else {
        return Ok(());
    };
    let added = chat_store::add_members(&mut *tx, m.org_id, cid, &[user_id], "member", now).await?;
    if !added.is_empty() {
        let c = chat_store::conversation(&mut *tx, m.org_id, cid).await?;
        emit_membership(tx, &c, user_id, true, now).await?;
    }
    Ok(())
}

/// Takes a removed member out of the meeting's chat.
pub async fn leave(tx: &mut Tx, m: &Meeting, user_id: UserId, now: i64) -> ApiResult<()> {
    let Some(cid) = m.conversation_id else {
        return Ok(());
    };
    if chat_store::remove_member(&mut *tx, cid, user_id).await? {
        let c = chat_store::conversation(&mut *tx, m.org_id, cid).await?;
        emit_membership(tx, &c, user_id, false, now).await?;
    }
    Ok(())
}

/// The meeting was renamed: so is its chat.
pub async fn retitle(tx: &mut Tx, m: &Meeting, title: &str, now: i64) -> ApiResult<()> {
    let Some(cid) = m.conversation_id else {
        return Ok(());
    };
    chat_store::update_conversation(
        &mut *tx,
        cid,
        &chat_store::ConversationPatch {
            topic: Some(title),
            ..Default::default()
        },
    )
    .await?;
    let c = chat_store::conversation(&mut *tx, m.org_id, cid).await?;
    emit_updated(tx, &c, now).await
}
