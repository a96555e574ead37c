//! Configuration layering: defaults → TOML file → `KANTOR_*` variables → flags, each layer
//! overriding the one before.

use std::path::{Path, PathBuf};

use anyhow::Context;
use kantor_server::Config;

pub fn load(
    file: Option<&Path>,
    data_dir_flag: Option<PathBuf>,
    listen_flag: Option<std::net::SocketAddr>,
) -> anyhow::Result<Config> {
    let mut config = match file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            toml::from_str(&text)
                .with_context(|| format!("invalid configuration in {}", path.display()))?
        }
        None => Config::default(),
    };
    apply_env(&mut config, |k| std::env::var(k).ok())?;
    if let Some(d) = data_dir_flag {
        config.data_dir = d;
    }
    if let Some(l) = listen_flag {
        config.listen = l;
    }
    Ok(config)
}

fn apply_env(config: &mut Config, var: impl Fn(&str) -> Option<String>) -> anyhow::Result<()> {
    let get = |k: &str| var(k).filter(|v| !v.is_empty());
    if let Some(v) = get("KANTOR_DATA_DIR") {
        config.data_dir = v.into();
    }
    if let Some(v) = get("KANTOR_LISTEN") {
        config.listen = v
            .parse()
            .context("KANTOR_LISTEN must be an address like 127.0.0.1:8080")?;
    }
    if let Some(v) = get("KANTOR_DATABASE_URL") {
        config.database_url = Some(v);
    }
    if let Some(v) = get("KANTOR_NATS_URL") {
        config.nats_url = Some(v);
    }
    if let Some(v) = get("KANTOR_NATS_PREFIX") {
        config.nats_prefix = v;
    }
    if let Some(v) = get("KANTOR_PUBLIC_URL") {
        config.public_url = Some(v);
    }
    if let Some(v) = get("KANTOR_TRUSTED_PROXIES") {
        config.trusted_proxies = v
            .split(',')
            .map(|s| s.trim().parse())
            .collect::<Result<_, _>>()
            .context("KANTOR_TRUSTED_PROXIES must be comma-separated IP addresses")?;
    }
    if let Some(v) = get("KANTOR_SMTP_URL") {
        config.smtp_url = Some(v);
    }
    if let Some(v) = get("KANTOR_SMTP_FROM") {
        config.smtp_from = v;
    }
    if let Some(v) = get("KANTOR_FILES_URL") {
        config.files_url = Some(v);
    }
    if let Some(v) = get("KANTOR_TLS_CERT") {
        config.tls_cert = Some(v.into());
    }
    if let Some(v) = get("KANTOR_TLS_KEY") {
        config.tls_key = Some(v.into());
    }
    if let Some(v) = get("KANTOR_PUSH_SUBJECT") {
        config.push_subject = Some(v);
    }
    if let Some(v) = get("KANTOR_NODE_NAME") {
        config.node_name = Some(v);
    }
    let num = |k: &str| -> anyhow::Result<Option<u64>> {
        get(k)
            .map(|v| v.parse().with_context(|| format!("{k} must be a number")))
            .transpose()
    };
    if let Some(v) = num("KANTOR_LOGIN_ATTEMPTS_PER_EMAIL")? {
        config.login_attempts_per_email = v as u32;
    }
    if let Some(v) = num("KANTOR_LOGIN_ATTEMPTS_PER_IP")? {
        config.login_attempts_per_ip = v as u32;
    }
    if let Some(v) = num("KANTOR_DB_MAX_CONNECTIONS")? {
        config.db_max_connections = v as u32;
    }
    if let Some(v) = num("KANTOR_MAX_CHAT_FILE_BYTES")? {
        config.max_chat_file_bytes = v as usize;
    }
    if let Some(v) = num("KANTOR_CHAT_BROADCAST_MENTION_MAX")? {
        config.chat_broadcast_mention_max = v as i64;
    }
    if let Some(v) = num("KANTOR_MEDIA_PORT")? {
        config.media_port = u16::try_from(v).context("KANTOR_MEDIA_PORT must be a port")?;
    }
    if let Some(v) = get("KANTOR_MEDIA_BIND") {
        config.media_bind = v
            .parse()
            .context("KANTOR_MEDIA_BIND must be an IP address")?;
    }
    if let Some(v) = get("KANTOR_MEDIA_PUBLIC_IP") {
        config.media_public_ip = Some(
            v.parse()
                .context("KANTOR_MEDIA_PUBLIC_IP must be an IP address")?,
        );
    }
    if let Some(v) = get("KANTOR_TURN_URLS") {
        config.turn_urls = v
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect();
    }
    if let Some(v) = get("KANTOR_TURN_SECRET") {
        config.turn_secret = Some(v);
    }
    if let Some(v) = num("KANTOR_TURN_TTL_SECS")? {
        config.turn_ttl_secs = v;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_override_env_which_overrides_the_file() {
        let dir = std::env::temp_dir().join(format!("kantor-settings-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let file = dir.join("kantor.toml");
        std::fs::write(&file, "listen = \"127.0.0.1:9000\"\npublic_url = \"https://file.example\"\ndatabase_url = \"postgres://u:secret@db/k\"\n").expect("write");
        let text = std::fs::read_to_string(&file).expect("read");
        let mut config: Config = toml::from_str(&text).expect("toml");
        assert_eq!(config.listen.port(), 9000);
        apply_env(&mut config, |k| {
            (k == "KANTOR_PUBLIC_URL").then(|| "https://env.example".to_string())
        })
        .expect("env");
        assert_eq!(config.public_url.as_deref(), Some("https://env.example"));
        let shown = format!("{config:?}");
        assert!(
            !shown.contains("secret"),
            "secrets are hidden in Debug: {shown}"
        );
        let loaded = load(Some(&file), Some("/tmp/flag".into()), None).expect("load");
        assert_eq!(loaded.data_dir, PathBuf::from("/tmp/flag"));
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn unknown_keys_in_the_file_are_refused() {
        assert!(toml::from_str::<Config>("listen_address = \"x\"").is_err());
    }
}
