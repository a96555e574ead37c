//! The server under test: the `kantor` binary beside this one, on a temporary data directory
//! and a free loopback port, seeded through `kantor admin` and stopped by its PID.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const READY_PREFIX: &str = "Kantor is ready at ";
const READY_TIMEOUT: Duration = Duration::from_secs(60);
const STOP_TIMEOUT: Duration = Duration::from_secs(15);
const PASSWORD: &str = "kantor-bench-password";

/// A directory removed (with everything in it) when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new() -> anyhow::Result<Self> {
        let path = std::env::temp_dir().join(format!("kantor-bench-{}", unique()));
        std::fs::create_dir_all(&path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        Ok(Self(path))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_dir_all(&self.0) {
            eprintln!("could not remove {}: {e}", self.0.display());
        }
    }
}

/// Something unique to this run: PID and the clock's nanoseconds.
pub fn unique() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{}-{nanos}", std::process::id())
}

/// How to run `kantor` against one data directory (and, optionally, a PostgreSQL database).
pub struct Kantor {
    exe: PathBuf,
    data_dir: PathBuf,
    database_url: Option<String>,
    /// CPUs `kantor serve` is pinned to (`taskset -c`), so it does not share a core with the
    /// load generator.
    cpus: Option<String>,
}

impl Kantor {
    /// Finds `kantor` in the directory of this executable.
    pub fn beside_me(data_dir: &Path, database_url: Option<String>) -> anyhow::Result<Self> {
        let me = std::env::current_exe().context("cannot tell where this executable is")?;
        let dir = me
            .parent()
            .context("this executable has no parent directory")?;
        let exe = dir.join(format!("kantor{}", std::env::consts::EXE_SUFFIX));
        if !exe.is_file() {
            bail!(
                "there is no kantor binary beside kantor-bench (looked for {}); \
                 build it with cargo build --release -p kantor",
                exe.display()
            );
        }
        Ok(Self {
            exe,
            data_dir: data_dir.to_path_buf(),
            database_url,
            cpus: None,
        })
    }

    /// Runs `kantor serve` under `taskset -c cpus` (the admin commands run unpinned).
    pub fn pinned_to(mut self, cpus: &str) -> Self {
        self.cpus = Some(cpus.to_string());
        self
    }

    /// A `kantor` command on this data directory, with none of the caller's `KANTOR_*`
    /// settings (but the log filter) leaking in.
    fn command(&self) -> Command {
        self.command_pinned(None)
    }

    /// [`Kantor::command`], under `taskset -c cpus` when given (taskset execs, so the PID is
    /// the server's).
    fn command_pinned(&self, cpus: Option<&str>) -> Command {
        let mut cmd = match cpus {
            Some(cpus) => {
                let mut c = Command::new("taskset");
                c.arg("-c").arg(cpus).arg(&self.exe);
                c
            }
            None => Command::new(&self.exe),
        };
        for (key, _) in std::env::vars_os() {
            let k = key.to_string_lossy();
            if k.starts_with("KANTOR_") && k != "KANTOR_LOG" {
                cmd.env_remove(&key);
            }
        }
        if let Some(url) = &self.database_url {
            cmd.env("KANTOR_DATABASE_URL", url);
        }
        // A free media port on loopback unless a bench sets one.
        cmd.env("KANTOR_MEDIA_PORT", "0")
            .env("KANTOR_MEDIA_BIND", "127.0.0.1");
        cmd.arg("--data-dir").arg(&self.data_dir);
        cmd.stdin(Stdio::null());
        cmd
    }

    fn log_path(&self) -> PathBuf {
        self.data_dir.join("kantor-bench-server.log")
    }

    /// Creates an organisation and its owner through `kantor admin bootstrap` and returns the
    /// owner's API token. This also creates and migrates the database.
    pub async fn bootstrap(&self) -> anyhow::Result<String> {
        Ok(self.bootstrap_org().await?.token)
    }

    /// [`Kantor::bootstrap`], also returning the organisation's id.
    pub async fn bootstrap_org(&self) -> anyhow::Result<Bootstrap> {
        let password_file = self.data_dir.join("kantor-bench-password");
        std::fs::write(&password_file, format!("{PASSWORD}\n"))
            .context("cannot write the password file")?;
        let email = format!("bench-{}@example.com", unique());
        let out = self
            .command()
            .args(["admin", "bootstrap", "--org", "Kantor Bench", "--email"])
            .arg(&email)
            .arg("--password-file")
            .arg(&password_file)
            .arg("--print-token")
            .output()
            .await
            .context("cannot run kantor admin bootstrap")?;
        if !out.status.success() {
            bail!(
                "kantor admin bootstrap failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        let stdout = String::from_utf8_lossy(&out.stdout);
        let field = |key: &str| {
            stdout
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .map(|t| t.trim().to_string())
                .with_context(|| format!("kantor admin bootstrap printed no {key} line"))
        };
        Ok(Bootstrap {
            org_id: field("org_id=")?,
            token: field("token=")?,
        })
    }

    /// Starts `kantor serve` on a free loopback port and waits for its ready line.
    pub async fn start(&self) -> anyhow::Result<Running> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .context("cannot open the server log")?;
        let started = Instant::now();
        let mut child = self
            .command_pinned(self.cpus.as_deref())
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("cannot start {}", self.exe.display()))?;
        let pid = child.id().context("the server exited at once")?;
        let stdout = child.stdout.take().context("no stdout from the server")?;
        let mut lines = BufReader::new(stdout).lines();
        let ready = tokio::time::timeout(READY_TIMEOUT, async {
            while let Some(line) = lines.next_line().await? {
                if let Some(url) = line.strip_prefix(READY_PREFIX) {
                    return Ok(Some(url.trim().to_string()));
                }
            }
            anyhow::Ok(None)
        })
        .await;
        let ready_after = started.elapsed();
        let url = match ready {
            Ok(Ok(Some(url))) => url,
            Ok(Ok(None)) => {
                let _ = child.wait().await;
                bail!(
                    "the server exited before it was ready; its log:\n{}",
                    self.log_tail()
                )
            }
            Ok(Err(e)) => bail!("reading the server's output: {e}"),
            Err(_) => bail!(
                "the server was not ready within {} s; its log:\n{}",
                READY_TIMEOUT.as_secs(),
                self.log_tail()
            ),
        };
        // Keep reading whatever else it prints, so its writes never fail.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Running {
            child,
            pid,
            url,
            ready_after,
        })
    }

    /// The last lines of the server's log, to explain a failure.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(self.log_path()).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

/// What `kantor admin bootstrap` made.
pub struct Bootstrap {
    pub org_id: String,
    /// The owner's API token.
    pub token: String,
}

/// A running server.
pub struct Running {
    child: Child,
    pub pid: u32,
    /// `http://127.0.0.1:PORT`, from the ready line.
    pub url: String,
    /// From spawning the process to reading its ready line.
    pub ready_after: Duration,
}

impl Running {
    /// Resident memory now, in KiB (`VmRSS` of /proc/PID/status).
    pub fn rss_kib(&self) -> anyhow::Result<u64> {
        rss_kib(self.pid)
    }

    /// Stops the server: SIGTERM by its PID (a graceful shutdown), SIGKILL if it lingers.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        let term = Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status()
            .await;
        if !matches!(term, Ok(s) if s.success()) {
            self.child.kill().await.context("cannot kill the server")?;
            return Ok(());
        }
        match tokio::time::timeout(STOP_TIMEOUT, self.child.wait()).await {
            Ok(status) => {
                let status = status.context("waiting for the server")?;
                if !status.success() {
                    eprintln!("the server exited with {status}");
                }
            }
            Err(_) => {
                eprintln!(
                    "the server did not stop within {} s of SIGTERM; killing it",
                    STOP_TIMEOUT.as_secs()
                );
                self.child.kill().await.context("cannot kill the server")?;
            }
        }
        Ok(())
    }
}

/// Resident memory of process `pid` now, in KiB (`VmRSS` of /proc/PID/status).
pub fn rss_kib(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("cannot read /proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .with_context(|| format!("no VmRSS in /proc/{pid}/status"))
}

/// Pins this process (every thread it has now, and so every one it starts later) to `cpus`
/// with `taskset -a -p -c`. Call it before starting a runtime.
pub fn pin_self(cpus: &str) -> anyhow::Result<()> {
    let status = std::process::Command::new("taskset")
        .args(["-a", "-p", "-c", cpus])
        .arg(std::process::id().to_string())
        .stdout(Stdio::null())
        .status()
        .context("cannot run taskset (util-linux)")?;
    if !status.success() {
        bail!("taskset -a -p -c {cpus} failed ({status})");
    }
    Ok(())
}

/// CPU time a process has used so far (user + system), from /proc/PID/stat.
pub fn cpu_time(pid: &str) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces) start at `state`, field 3;
    // utime and stime are fields 14 and 15.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_secs_f64(ticks as f64 / clock_ticks() as f64))
}

/// CPU time all cores of the machine have been busy so far (everything but idle and I/O wait,
/// from /proc/stat), to tell how much of it went to processes other than the two under test.
pub fn machine_busy() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let fields: Vec<u64> = stat
        .lines()
        .next()?
        .strip_prefix("cpu ")?
        .split_whitespace()
        .filter_map(|f| f.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal …
    let busy: u64 = fields.iter().take(8).sum::<u64>() - fields.get(3)? - fields.get(4)?;
    Some(Duration::from_secs_f64(busy as f64 / clock_ticks() as f64))
}

fn clock_ticks() -> u64 {
    static TICKS: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
            .filter(|t| *t > 0)
            .unwrap_or(100)
    })
}
