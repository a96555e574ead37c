//! The `kantor` binary: the only crate that knows both storage backends and both buses, and
//! picks them from configuration.
//!
//! # Layout
//!
//! - `main.rs`: the command line (clap) and each subcommand.
//! - [`settings`]: configuration layering — defaults, TOML file, `KANTOR_*` variables, flags.

mod settings;

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use kantor_core::validate;
use kantor_server::api::me::issue_token;
use kantor_server::{secrets, Clock};
use kantor_store::{accounts, Backend};

#[derive(Parser)]
#[command(
    name = "kantor",
    version,
    about = "Kantor — a self-hosted virtual office"
)]
struct Cli {
    /// A TOML configuration file (also KANTOR_CONFIG).
    #[arg(long, global = true, env = "KANTOR_CONFIG")]
    config: Option<PathBuf>,
    /// Where SQLite and files live (also KANTOR_DATA_DIR).
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// `text` or `json` (also KANTOR_LOG_FORMAT).
    #[arg(long, global = true, env = "KANTOR_LOG_FORMAT", default_value = "text")]
    log_format: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the server.
    Serve {
        /// Address to listen on (also KANTOR_LISTEN), e.g. 0.0.0.0:8080; port 0 picks one.
        #[arg(long)]
        listen: Option<std::net::SocketAddr>,
    },
    /// Applies pending database migrations and exits.
    Migrate,
    /// Prints the OpenAPI document.
    Openapi,
    /// Administration from the command line (works with the server running).
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Writes a consistent backup: a SQLite file, or a pg_dump archive for PostgreSQL.
    Backup {
        /// The file to write.
        #[arg(long)]
        output: PathBuf,
    },
    /// Restores a backup made by `kantor backup`. Stop the server first.
    Restore {
        #[arg(long)]
        input: PathBuf,
        /// Replace an existing database.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Creates an organisation and its owner.
    Bootstrap {
        #[arg(long)]
        org: String,
        #[arg(long)]
        email: String,
        /// A file holding the owner's password (first line).
        #[arg(long)]
        password_file: PathBuf,
        #[arg(long, default_value = "Pemilik")]
        name: String,
        #[arg(long, default_value = "Asia/Jakarta")]
        time_zone: String,
        /// Also issue an API token for the owner and print it.
        #[arg(long)]
        print_token: bool,
    },
    /// Prints a new one-time setup link (while no organisation exists); earlier links stop working.
    SetupLink,
    /// People.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Rebuilds the chat search index (every organisation, or one), in batches; search and
    /// posting go on meanwhile.
    Reindex {
        /// Only this organisation (its id).
        #[arg(long)]
        org: Option<String>,
        /// Messages per transaction.
        #[arg(long, default_value_t = 1000)]
        batch: i64,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Prints a password-reset link valid for 24 hours.
    ResetLink {
        #[arg(long)]
        email: String,
    },
    /// Lists accounts with their organisations and roles.
    List,
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Issues an API token for a person and prints it.
    Issue {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "cli")]
        name: String,
    },
    /// Revokes a token by id.
    Revoke {
        #[arg(long)]
        email: String,
        #[arg(long)]
        id: String,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    init_logs(&cli.log_format);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(cli))
}

fn init_logs(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("KANTOR_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let listen_flag = match &cli.command {
        Command::Serve { listen } => *listen,
        _ => None,
    };
    let config = settings::load(cli.config.as_deref(), cli.data_dir.clone(), listen_flag)?;
    match cli.command {
        Command::Serve { .. } => serve(config).await,
        Command::Migrate => {
            let (store, _) = kantor_server::connect(&config).await?;
            println!(
                "database is at migration {}",
                kantor_store::migrate::latest_version()
            );
            store.close().await;
            Ok(())
        }
        Command::Openapi => {
            println!("{}", kantor_server::api::openapi_json());
            Ok(())
        }
        Command::Admin { command } => admin(config, command).await,
        Command::Backup { output } => backup(&config, &output).await,
        Command::Restore { input, force } => restore(&config, &input, force).await,
    }
}

async fn serve(config: kantor_server::Config) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let (store, bus) = kantor_server::connect(&config).await?;
    let mut server = kantor_server::launch(config, listener, store, bus, Clock::system()).await?;
    // Listen for signals before announcing readiness: a SIGTERM right after the ready line must
    // still shut down gracefully.
    let stop = shutdown_signal()?;
    let base = server.state.base_url.clone();
    let mut out = std::io::stdout().lock();
    writeln!(out, "Kantor is ready at {base}")?;
    if let Some(link) = server.setup_link() {
        writeln!(out, "Setup link: {link}")?;
        writeln!(
            out,
            "Open the setup link to create your organisation and its owner (it works once)."
        )?;
    }
    if server.setup_elsewhere {
        writeln!(
            out,
            "Setup is not done yet: use the setup link printed when Kantor first started, or make a new one with `kantor admin setup-link`."
        )?;
    }
    out.flush()?;
    drop(out);
    tokio::select! {
        _ = stop => {
            tracing::info!("shutting down");
            server.shutdown().await;
        }
        _ = server.wait() => {}
    }
    Ok(())
}

/// Registers SIGINT and SIGTERM handlers now; the returned future resolves on either.
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut int = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = int.recv() => {}
            _ = term.recv() => {}
        }
    })
}

fn now_ms() -> i64 {
    Clock::system().now_ms()
}

async fn admin(config: kantor_server::Config, command: AdminCommand) -> anyhow::Result<()> {
    let (store, _) = kantor_server::connect(&config).await?;
    let base = config.base_url(config.listen);
    let result = async {
        match command {
            AdminCommand::Bootstrap {
                org,
                email,
                password_file,
                name,
                time_zone,
                print_token,
            } => {
                let org_name = validate::name("org", &org)?;
                let email = validate::email(&email)?;
                let name = validate::name("name", &name)?;
                let tz = validate::time_zone("time_zone", &time_zone)?;
                let password = std::fs::read_to_string(&password_file)
                    .with_context(|| format!("cannot read {}", password_file.display()))?
                    .lines()
                    .next()
                    .unwrap_or("")
                    .to_string();
                validate::password("password", &password)?;
                let hash = secrets::hash_password(&password)?;
                let now = now_ms();
                let mut tx = store.begin().await?;
                let user_id = match accounts::user_id_by_email(&mut tx, &email).await? {
                    Some(id) => id,
                    None => {
                        accounts::insert_user(
                            &mut tx,
                            &accounts::NewUser {
                                email: &email,
                                name: &name,
                                phone: None,
                                password_hash: Some(&hash),
                                language: "id",
                                time_zone: &tz,
                            },
                            now,
                        )
                        .await?
                        .id
                    }
                };
                let o = kantor_server::api::setup::create_org_with_owner(&mut tx, &org_name, &tz, user_id, None, "cli", now)
                    .await
                    .map_err(|e| anyhow::anyhow!("{}: {}", e.code, e.message))?;
                kantor_store::settings::delete(&mut tx, kantor_server::api::setup::SETUP_TOKEN_KEY)
                    .await?;
                let token = if print_token {
                    Some(
                        issue_token(&mut tx, user_id, "bootstrap", &[o.id], None, "cli", now)
                            .await?
                            .1,
                    )
                } else {
                    None
                };
                tx.commit().await?;
                eprintln!(
                    "created organisation {} ({}) with owner {email}",
                    o.name, o.id
                );
                println!("org_id={}", o.id);
                if let Some(t) = token {
                    println!("token={t}");
                }
            }
            AdminCommand::User {
                command: UserCommand::ResetLink { email },
            } => {
                let creds = account(&store, &email).await?;
                let token = secrets::new_token("kr_");
                let now = now_ms();
                let mut tx = store.begin().await?;
                accounts::insert_password_reset(
                    &mut tx,
                    creds.user.id,
                    &secrets::token_hash(&token),
                    None,
                    now,
                    now + 24 * 3_600_000,
                )
                .await?;
                for (org, _) in store.memberships_of(creds.user.id).await? {
                    kantor_store::audit::record(
                        &mut tx,
                        org.id,
                        None,
                        "member.password_reset",
                        Some(&creds.user.id.to_string()),
                        &serde_json::json!({"via": "cli"}),
                        now,
                    )
                    .await?;
                }
                tx.commit().await?;
                println!("{base}/reset/{token}");
            }
            AdminCommand::Reindex { org, batch } => {
                let orgs = match org {
                    Some(id) => {
                        let id = id.trim().parse().context("not an organisation id")?;
                        store.org(id).await.context("no such organisation")?;
                        vec![id]
                    }
                    None => store.org_ids().await?,
                };
                let (mut messages, mut terms) = (0, 0);
                for id in orgs {
                    let done = store
                        .reindex_org(id, batch, |so_far| {
                            eprintln!("{id}: {} messages, {} terms so far", so_far.messages, so_far.terms);
                        })
                        .await?;
                    println!("{id}\t{} messages\t{} terms", done.messages, done.terms);
                    messages += done.messages;
                    terms += done.terms;
                }
                println!("reindexed {messages} messages ({terms} terms)");
            }
            AdminCommand::SetupLink => match kantor_server::api::setup::renew(&store).await? {
                Some(token) => println!("{base}/setup?token={token}"),
                None => bail!("setup was already completed; sign in, or use `kantor admin bootstrap` for another organisation"),
            },
            AdminCommand::User {
                command: UserCommand::List,
            } => {
                let rows = sqlx_users(&store).await?;
                for (email, name, orgs) in rows {
                    println!("{email}\t{name}\t{orgs}");
                }
            }
            AdminCommand::Token {
                command: TokenCommand::Issue { email, name },
            } => {
                let creds = account(&store, &email).await?;
                let orgs: Vec<_> = store
                    .memberships_of(creds.user.id)
                    .await?
                    .iter()
                    .map(|(o, _)| o.id)
                    .collect();
                let mut tx = store.begin().await?;
                let (t, secret) =
                    issue_token(&mut tx, creds.user.id, &name, &orgs, None, "cli", now_ms())
                        .await?;
                tx.commit().await?;
                eprintln!("token id {}", t.id);
                println!("{secret}");
            }
            AdminCommand::Token {
                command: TokenCommand::Revoke { email, id },
            } => {
                let creds = account(&store, &email).await?;
                let mut tx = store.begin().await?;
                accounts::revoke_token(
                    &mut tx,
                    creds.user.id,
                    id.parse().context("not a token id")?,
                    now_ms(),
                )
                .await?;
                tx.commit().await?;
                println!("revoked");
            }
        }
        anyhow::Ok(())
    }
    .await;
    store.close().await;
    result
}

/// The account with this email, or a clear error.
async fn account(
    store: &kantor_store::Store,
    email: &str,
) -> anyhow::Result<accounts::Credentials> {
    let email = validate::email(email)?;
    store
        .credentials_by_email(&email)
        .await?
        .context("no account with that email")
}

async fn sqlx_users(store: &kantor_store::Store) -> anyhow::Result<Vec<(String, String, String)>> {
    let mut out = Vec::new();
    for id in kantor_store::accounts::all_user_ids(store).await? {
        let u = store.user(id).await?;
        let orgs: Vec<String> = store
            .memberships_of(id)
            .await?
            .iter()
            .map(|(o, m)| format!("{}:{}:{}", o.name, m.role.as_str(), m.status.as_str()))
            .collect();
        out.push((u.email, u.name, orgs.join(",")));
    }
    Ok(out)
}

fn sqlite_path(config: &kantor_server::Config) -> PathBuf {
    config.data_dir.join("kantor.db")
}

async fn backup(config: &kantor_server::Config, output: &Path) -> anyhow::Result<()> {
    if output.exists() {
        bail!("{} exists; choose a new file name", output.display());
    }
    let (store, _) = kantor_server::connect(config).await?;
    let result = match store.backend() {
        Backend::Sqlite => {
            // VACUUM INTO writes a consistent copy while the server keeps running.
            let path = output
                .to_str()
                .context("backup path must be UTF-8")?
                .replace('\'', "''");
            kantor_store::db::backup_sqlite(&store, &path)
                .await
                .map_err(anyhow::Error::from)
        }
        Backend::Postgres => {
            let url = config.database_url();
            let status = std::process::Command::new("pg_dump")
                .args(["--format=custom", "--no-owner", "--file"])
                .arg(output)
                .arg(&url)
                .status()
                .context("pg_dump not found: install PostgreSQL client tools (apt-get install postgresql-client) matching your server version")?;
            if !status.success() {
                bail!("pg_dump failed ({status}); check KANTOR_DATABASE_URL and that pg_dump's major version is at least the server's");
            }
            Ok(())
        }
    };
    store.close().await;
    result?;
    println!("backup written to {}", output.display());
    Ok(())
}

async fn restore(config: &kantor_server::Config, input: &Path, force: bool) -> anyhow::Result<()> {
    if !input.is_file() {
        bail!("{} is not a file", input.display());
    }
    match &config.database_url {
        None => {
            let target = sqlite_path(config);
            if target.exists() && !force {
                bail!(
                    "{} exists; stop the server and pass --force to replace it",
                    target.display()
                );
            }
            std::fs::create_dir_all(&config.data_dir)?;
            // Work on a copy beside the target, check it is a Kantor database, then swap it in.
            let tmp = target.with_extension("db.restoring");
            std::fs::copy(input, &tmp)?;
            let url = format!("sqlite://{}?mode=rw", tmp.display());
            let probe = kantor_store::Store::connect(
                &url,
                &kantor_store::StoreOptions { max_connections: 1 },
            )
            .await;
            let ok = match probe {
                Ok(p) => {
                    let ok = kantor_store::db::is_kantor_database(&p).await;
                    p.close().await;
                    ok
                }
                Err(_) => false,
            };
            if !ok {
                let _ = std::fs::remove_file(&tmp);
                bail!("{} is not a Kantor backup", input.display());
            }
            std::fs::File::open(&tmp)?.sync_all()?;
            for ext in ["-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{ext}", target.display()));
                let _ = std::fs::remove_file(format!("{}{ext}", tmp.display()));
            }
            std::fs::rename(&tmp, &target)?;
            println!("restored {} into {}", input.display(), target.display());
        }
        Some(url) => {
            let mut cmd = std::process::Command::new("pg_restore");
            cmd.args(["--no-owner", "--single-transaction", "--exit-on-error"]);
            if force {
                cmd.args(["--clean", "--if-exists"]);
            }
            let status = cmd
                .arg("--dbname")
                .arg(url)
                .arg(input)
                .status()
                .context("pg_restore not found: install PostgreSQL client tools (apt-get install postgresql-client)")?;
            if !status.success() {
                bail!("pg_restore failed ({status}); restore into an empty database, or pass --force to replace existing objects");
            }
            println!("restored {} into the PostgreSQL database", input.display());
        }
    }
    Ok(())
}
