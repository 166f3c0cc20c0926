//! The servers a run measures: Kring (`kring-server`) and the reference automerge-repo sync
//! server (`peer/server.mjs` under Node). The load generator starts either on a free loopback
//! port with a fresh data folder, or attaches to one already running (`--url`, `--server-pid`),
//! and reads the server process's CPU time and memory from `/proc/<pid>`.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};

use crate::Result;

/// Which protocol peer is on the other side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// Kring: HTTP API for workshops and tokens, `/sync` for the protocol.
    Kring,
    /// The reference automerge-repo sync server: protocol only, no tokens.
    Node,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Kring => "kring",
            Kind::Node => "node",
        }
    }
}

/// A server under test.
pub struct Server {
    pub kind: Kind,
    /// `http://host:port`.
    pub url: String,
    /// The server's processes: one, or every node behind a load balancer at `url`.
    pub pids: Vec<u32>,
    child: Option<Child>,
    _data: Option<tempfile::TempDir>,
}

/// The server process's CPU time (user + system, all threads) and resident memory.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcStats {
    pub cpu: Duration,
    pub rss_bytes: u64,
}

impl Server {
    /// A server someone else started (several nodes behind one address: every node's pid).
    pub fn attach(kind: Kind, url: String, pids: Vec<u32>) -> Self {
        Self {
            kind,
            url,
            pids,
            child: None,
            _data: None,
        }
    }

    /// Starts `kring-server` on a free loopback port with a fresh temporary data folder; on
    /// one core (`taskset -c`) when `pin` names one.
    pub async fn spawn_kring(bin: &Path, pin: Option<usize>) -> Result<Self> {
        let port = free_port()?;
        let data = tempfile::tempdir()?;
        let child = pinned(bin.as_os_str(), pin)
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--data")
            .arg(data.path())
            .arg("--frontend")
            .arg(data.path().join("no-frontend"))
            // Every simulated client comes from this one address: lift the per-address abuse
            // limits, which exist for real rooms, not for a load generator.
            .args(["--connections-per-addr", "1000000"])
            .args(["--joins-per-minute", "1000000"])
            .args(["--workshops-per-hour", "1000000"])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("starting {}: {e}", bin.display()))?;
        let s = Self {
            kind: Kind::Kring,
            url: format!("http://127.0.0.1:{port}"),
            pids: child.id().into_iter().collect(),
            child: Some(child),
            _data: Some(data),
        };
        s.wait_listening(port).await?;
        Ok(s)
    }

    /// Starts the reference sync server under Node (installing its npm packages when missing);
    /// on one core when `pin` names one.
    pub async fn spawn_node(pin: Option<usize>) -> Result<Self> {
        let dir = peer_dir();
        if !dir.join("node_modules").exists() {
            let status = Command::new("npm")
                .current_dir(&dir)
                .args(["ci", "--no-audit", "--no-fund"])
                .stdout(Stdio::null())
                .status()
                .await
                .map_err(|e| format!("npm ci in {}: {e}", dir.display()))?;
            if !status.success() {
                return Err(format!("npm ci in {} failed with {status}", dir.display()).into());
            }
        }
        let port = free_port()?;
        let child = pinned("node".as_ref(), pin)
            .current_dir(&dir)
            .arg("server.mjs")
            .arg(port.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("starting node: {e}"))?;
        let s = Self {
            kind: Kind::Node,
            url: format!("http://127.0.0.1:{port}"),
            pids: child.id().into_iter().collect(),
            child: Some(child),
            _data: None,
        };
        s.wait_listening(port).await?;
        Ok(s)
    }

    async fn wait_listening(&self, port: u16) -> Result<()> {
        let end = Instant::now() + Duration::from_secs(20);
        while Instant::now() < end {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err(format!(
            "{} server did not listen on port {port} within 20 s",
            self.kind.name()
        )
        .into())
    }

    pub fn ws(&self) -> String {
        self.url.replacen("http", "ws", 1)
    }

    /// CPU time and memory of the server's processes added up, when their pids are known.
    pub fn stats(&self) -> Option<ProcStats> {
        if self.pids.is_empty() {
            return None;
        }
        self.pids.iter().map(|pid| proc_stats(*pid).ok()).try_fold(
            ProcStats::default(),
            |sum, s| {
                let s = s?;
                Some(ProcStats {
                    cpu: sum.cpu + s.cpu,
                    rss_bytes: sum.rss_bytes + s.rss_bytes,
                })
            },
        )
    }

    /// Stops a server this tool started.
    pub async fn stop(mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill().await;
        }
    }
}

/// `crates/loadgen/peer`: the reference server's script and its npm lock file.
/// A command for `program`, run by `taskset -c CORE` when `pin` names a core. `taskset` execs
/// the program, so the child's pid is the server's own (for its CPU time).
fn pinned(program: &std::ffi::OsStr, pin: Option<usize>) -> Command {
    match pin {
        Some(core) => {
            let mut c = Command::new("taskset");
            c.arg("-c").arg(core.to_string()).arg(program);
            c
        }
        None => Command::new(program),
    }
}

/// Pins this process (every thread it has now, and so every thread it starts later) to one
/// core, with `taskset -a -cp`.
pub fn pin_self(core: usize) -> Result<()> {
    let status = std::process::Command::new("taskset")
        .args([
            "-a",
            "-cp",
            &core.to_string(),
            &std::process::id().to_string(),
        ])
        .stdout(Stdio::null())
        .status()
        .map_err(|e| format!("taskset: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("taskset -a -cp {core} failed with {status}").into())
    }
}

pub fn peer_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("peer")
}

/// `kring-server` next to this executable (same cargo profile), unless told otherwise.
pub fn default_kring_bin() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(|d| d.join("kring-server")))
        .unwrap_or_else(|| PathBuf::from("kring-server"))
}

fn free_port() -> Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?.port())
}

/// Clock ticks per second of `/proc/<pid>/stat` times (`getconf CLK_TCK`, 100 on Linux).
fn clock_ticks() -> u64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100)
}

/// Reads utime + stime (fields 14 and 15 of `/proc/<pid>/stat`) and VmRSS.
pub fn proc_stats(pid: u32) -> Result<ProcStats> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // The command name (field 2) may hold spaces; the fields after its ')' are fixed.
    let after = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .ok_or("unreadable /proc stat")?;
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 = fields.get(11).ok_or("no utime")?.parse()?;
    let sticks: u64 = fields.get(12).ok_or("no stime")?.parse()?;
    let hz = clock_ticks();
    let cpu = Duration::from_micros((ticks + sticks) * 1_000_000 / hz);
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let rss_kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    Ok(ProcStats {
        cpu,
        rss_bytes: rss_kib * 1024,
    })
}
