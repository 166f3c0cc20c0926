//! Processes marked by an environment variable, read from `/proc` (Linux).
//!
//! The browser test kit starts every ChromeDriver with [`MARK`] set; the Chromium processes a
//! driver starts inherit its environment, so every browser a test opened carries the mark even
//! when it has left the driver's process group. [`marked`] lists such processes and
//! [`kill_marked`] ends them; `cargo xtask test` fails a run that leaves any behind.
//! No dependencies: the build orchestrator uses it too.

use std::path::Path;

/// The environment variable that marks a test run's browsers; its value names one driver.
pub const MARK: &str = "KRING_E2E_BROWSER";

/// The name prefix of the Chromium profiles the test kit makes. Chromium's helper processes
/// (zygote, renderers) overwrite their environment with their title, so they are known by this
/// in their command line (`--user-data-dir=…/kring-chrome-…`) instead.
pub const PROFILE_PREFIX: &str = "kring-chrome-";

/// A live process that carries the mark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marked {
    pub pid: u32,
    /// The mark's value (which driver started it).
    pub mark: String,
    /// The command line, for a readable report.
    pub command: String,
}

/// Every live process whose environment has [`MARK`] (with this value, when `value` is given),
/// and, when `value` is `None`, every Chromium with a test profile ([`PROFILE_PREFIX`]; their
/// `mark` is empty). Zombies are skipped: they hold no memory and their parent reaps them.
pub fn marked(value: Option<&str>) -> Vec<Marked> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let me = std::process::id();
    let mut found = Vec::new();
    for entry in dir.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == me || is_zombie(&entry.path()) {
            continue;
        }
        let command = std::fs::read(entry.path().join("cmdline"))
            .map(|b| {
                String::from_utf8_lossy(&b)
                    .replace('\0', " ")
                    .trim()
                    .to_owned()
            })
            .unwrap_or_default();
        let mark = match (mark_of(&entry.path()), value) {
            (Some(mark), Some(v)) if mark != v => continue,
            (Some(mark), _) => mark,
            (None, None) if has_test_profile(&command) => String::new(),
            (None, _) => continue,
        };
        found.push(Marked { pid, mark, command });
    }
    found
}

/// Sends SIGKILL to every process [`marked`] finds and returns what it found.
pub fn kill_marked(value: Option<&str>) -> Vec<Marked> {
    let found = marked(value);
    if !found.is_empty() {
        let _ = std::process::Command::new("kill")
            .args(["-s", "KILL", "--"])
            .args(found.iter().map(|m| m.pid.to_string()))
            .stderr(std::process::Stdio::null())
            .status();
    }
    found
}

fn mark_of(proc_dir: &Path) -> Option<String> {
    let environ = std::fs::read(proc_dir.join("environ")).ok()?;
    let prefix = format!("{MARK}=");
    environ
        .split(|&b| b == 0)
        .find_map(|kv| kv.strip_prefix(prefix.as_bytes()))
        .map(|v| String::from_utf8_lossy(v).into_owned())
}

fn has_test_profile(command: &str) -> bool {
    command
        .split(' ')
        .any(|arg| arg.starts_with("--user-data-dir=") && arg.contains(PROFILE_PREFIX))
}

fn is_zombie(proc_dir: &Path) -> bool {
    // /proc/PID/stat: "pid (comm) S …"; comm may hold spaces and parentheses, so read after the
    // last ')'.
    std::fs::read_to_string(proc_dir.join("stat"))
        .ok()
        .and_then(|s| {
            s.rsplit_once(')')
                .map(|(_, rest)| rest.trim_start().starts_with('Z'))
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_and_kills_a_marked_child_and_nothing_else() {
        let value = format!("unit-test-{}", std::process::id());
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .env(MARK, &value)
            .spawn()
            .expect("sleep");
        let mut other = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .expect("sleep");
        // Between fork and exec the child's /proc/PID/environ is still the parent's (no mark):
        // on a busy machine the first look can come that early, so look until it has exec'd.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let found = loop {
            let found = marked(Some(&value));
            if !found.is_empty() || std::time::Instant::now() > deadline {
                break found;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].pid, child.id());
        assert!(found[0].command.starts_with("sleep"));
        assert!(
            marked(Some("another value"))
                .iter()
                .all(|m| m.pid != child.id())
        );
        kill_marked(Some(&value));
        let status = child.wait().expect("reaped");
        assert!(!status.success(), "killed, not exited");
        assert!(marked(Some(&value)).is_empty());
        assert!(has_test_profile(
            "/usr/lib/chromium/chromium --type=renderer --user-data-dir=/tmp/kring-chrome-2xQ --x"
        ));
        assert!(!has_test_profile("chromium --user-data-dir=/tmp/mine"));
        // The unmarked process was left alone.
        assert!(other.try_wait().expect("status").is_none());
        other.kill().unwrap();
        other.wait().unwrap();
    }
}
