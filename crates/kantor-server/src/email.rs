//! Outgoing email (invites, password resets), sent by the job runner so a slow or failing mail
//! server never delays a request and every message is retried. Without SMTP configured nothing
//! is queued: admins copy the links from the web app instead.

use lettre::message::{header::ContentType, Mailbox};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};

use crate::state::AppState;

pub const SEND_EMAIL: &str = "email.send";

pub type Mailer = AsyncSmtpTransport<Tokio1Executor>;

/// Builds the mailer from `smtp_url` (`smtp://`, `smtps://`, `?tls=required`).
pub fn mailer(smtp_url: &str) -> anyhow::Result<Mailer> {
    Ok(AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)?.build())
}

/// A queued email. The payload is erased from the job table once sent (it may hold a link).
#[derive(Serialize, Deserialize)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// Queues an email in the caller's transaction, if email is configured.
pub async fn queue(
    state: &AppState,
    tx: &mut kantor_store::Tx,
    email: &Email,
    now: i64,
) -> anyhow::Result<()> {
    if state.mailer.is_none() {
        return Ok(());
    }
    let payload = serde_json::to_value(email)?;
    kantor_store::jobs::schedule(
        tx,
        &kantor_store::jobs::NewJob {
            kind: SEND_EMAIL,
            payload: &payload,
            run_at: now,
            max_attempts: 8,
            dedupe_key: None,
        },
        now,
    )
    .await?;
    Ok(())
}

pub async fn send(state: &AppState, payload: &str) -> anyhow::Result<()> {
    let Some(mailer) = &state.mailer else {
        anyhow::bail!("email is not configured")
    };
    let email: Email = serde_json::from_str(payload)?;
    let message = Message::builder()
        .from(state.config.smtp_from.parse::<Mailbox>()?)
        .to(email.to.parse::<Mailbox>()?)
        .subject(email.subject)
        .header(ContentType::TEXT_PLAIN)
        .body(email.body)?;
    mailer.send(message).await?;
    tracing::info!("email sent");
    Ok(())
}

/// The invite email, in Bahasa Indonesia and English (we do not know the person's language yet).
pub fn invite(org_name: &str, url: &str) -> (String, String) {
    (
        format!("Undangan bergabung ke {org_name} di Kantor"),
        format!(
            "Anda diundang bergabung ke {org_name} di Kantor.\nBuka tautan ini untuk membuat akun:\n{url}\n\n\
             You are invited to join {org_name} on Kantor.\nOpen this link to create your account:\n{url}\n"
        ),
    )
}

pub fn password_reset(url: &str) -> (String, String) {
    (
        "Atur ulang kata sandi Kantor / Reset your Kantor password".to_string(),
        format!(
            "Buka tautan ini dalam 24 jam untuk membuat kata sandi baru:\n{url}\n\n\
             Open this link within 24 hours to set a new password:\n{url}\n"
        ),
    )
}
