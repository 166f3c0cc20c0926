//! `cargo xtask`: builds the WASM frontend without downloading anything (cargo for wasm32, then
//! wasm-bindgen used as a library, so its version always equals the one in Cargo.lock), runs
//! Kring, and runs the whole test suite.
//!
//! After wasm-bindgen, `wasm-opt -Oz` from the npm package `binaryen` (pinned in
//! `crates/xtask/wasm-opt/`, installed there with `npm ci` when missing) shrinks the module; the
//! build prints the gzip size of WASM + JS against the 1 MB budget. Without npm the step is
//! skipped with a warning (`KRING_WASM_OPT=0` skips it on purpose).
//!
//! - `cargo xtask build` — frontend into `target/frontend/`: file names carry a content hash,
//!   `.gz` and `.br` beside each file (`bundle.rs`). It adds the wasm32 target itself when rustup
//!   lacks it.
//! - `cargo xtask run [-- server flags]` — build, then start `kring-server` (release) with the
//!   frontend embedded in it.
//! - `cargo xtask dist` — the release binary with the frontend embedded, and its SHA-256, in
//!   `target/dist/`: one file to copy to a server.
//! - `cargo xtask test` — install missing Debian packages (as root with apt; otherwise stop with
//!   the command to run), make sure a PostgreSQL answers for the Postgres tests (the same way,
//!   with `.ci/postgres.sh`) and a NATS for the tests of several nodes (`.ci/nats.sh`), build, install the interop test's npm packages, `cargo test --workspace
//!   --no-fail-fast`, then fail if any browser a test started is still running.
//! - `cargo xtask browsers` — only that last check (`.ci/run` ends with it).

mod bundle;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

type Result<T> = std::result::Result<T, String>;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

/// Cargo's target folder: `CARGO_TARGET_DIR` when set (worktrees, CI caches), else `target/`.
fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => root().join(dir),
        None => root().join("target"),
    }
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

fn run(mut cmd: Command) -> Result<()> {
    let shown = format!("{cmd:?}");
    let status = cmd.status().map_err(|e| format!("{shown}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{shown} failed with {status}"))
    }
}

/// Whether a program is on `PATH`.
fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

/// Adds the `wasm32-unknown-unknown` target when it is missing (a fresh rustup has only the
/// host's), so `cargo xtask run` works on a machine with nothing but rustup.
fn ensure_wasm_target() -> Result<()> {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map_err(|e| format!("rustup not found ({e}); install Rust with rustup first"))?;
    if String::from_utf8_lossy(&installed.stdout)
        .lines()
        .any(|l| l.trim() == "wasm32-unknown-unknown")
    {
        return Ok(());
    }
    eprintln!("xtask: adding the wasm32-unknown-unknown target (once)");
    let mut add = Command::new("rustup");
    add.args(["target", "add", "wasm32-unknown-unknown"]);
    run(add)
}

/// Whether this process runs as root (Linux: the real uid in `/proc/self/status`).
fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .map(|v| v.split_whitespace().next() == Some("0"))
        })
        .unwrap_or(false)
}

/// The programs the whole test suite needs beyond Rust, and the Debian packages that bring them.
fn missing_test_packages() -> Vec<&'static str> {
    let mut need = Vec::new();
    for (program, package) in [
        ("chromium", "chromium"),
        ("chromedriver", "chromium-driver"),
        ("pdftoppm", "poppler-utils"),
    ] {
        if !on_path(program) {
            need.push(package);
        }
    }
    // Node.js from another source may bring its own npm (Debian's npm would conflict with it).
    if !on_path("npm") {
        need.extend(if on_path("node") {
            vec!["npm"]
        } else {
            vec!["nodejs", "npm"]
        });
    }
    need
}

/// Installs what the tests need when it is missing: with apt as root, or it stops with the
/// one command to run.
fn ensure_test_packages() -> Result<()> {
    let need = missing_test_packages();
    if need.is_empty() {
        return Ok(());
    }
    let command = format!("apt-get install -y {}", need.join(" "));
    if !(is_root() && on_path("apt-get")) {
        return Err(format!(
            "the tests need {}; install them with: sudo {command}",
            need.join(", ")
        ));
    }
    eprintln!("xtask: installing {} (apt-get)", need.join(" "));
    let mut update = Command::new("apt-get");
    update.args(["update", "-qq"]);
    run(update)?;
    let mut install = Command::new("apt-get");
    install
        .env("DEBIAN_FRONTEND", "noninteractive")
        .args(["install", "-y", "-qq"])
        .args(&need);
    run(install)
}

/// The Postgres store tests connect to `KRING_TEST_DATABASE`, by default PostgreSQL on
/// 127.0.0.1:5432, and fail without it. With the variable set, that database is the developer's
/// business; without it and with nothing on 5432, root on Debian gets one from
/// `.ci/postgres.sh` (as the Debian packages above), anyone else the command to run — before a
/// long run, not as a failure at its end.
fn ensure_test_postgres() -> Result<()> {
    if std::env::var_os("KRING_TEST_DATABASE").is_some() {
        return Ok(());
    }
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], 5432));
    if std::net::TcpStream::connect_timeout(&addr, std::time::Duration::from_secs(2)).is_ok() {
        return Ok(());
    }
    let script = root().join(".ci/postgres.sh");
    if !(is_root() && on_path("apt-get")) {
        return Err(format!(
            "the Postgres tests need PostgreSQL on 127.0.0.1:5432 (user postgres, database \
             test): run `sudo {}`, or set KRING_TEST_DATABASE to a database you may use",
            script.display()
        ));
    }
    eprintln!(
        "xtask: starting PostgreSQL for the tests ({})",
        script.display()
    );
    run(Command::new(script))
}

/// The tests of several nodes connect to `KRING_TEST_NATS`, by default NATS with JetStream on
/// 127.0.0.1:4222, and fail without it: as for PostgreSQL, root on Debian gets one from
/// `.ci/nats.sh`, anyone else the command to run.
fn ensure_test_nats() -> Result<()> {
    if std::env::var_os("KRING_TEST_NATS").is_some() && on_path("nats-server") {
        return Ok(());
    }
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], 4222));
    let listening =
        std::net::TcpStream::connect_timeout(&addr, std::time::Duration::from_secs(2)).is_ok();
    // One test runs a NATS server of its own: the binary must be there too.
    if listening && on_path("nats-server") {
        return Ok(());
    }
    let script = root().join(".ci/nats.sh");
    if !(is_root() && on_path("apt-get")) {
        return Err(format!(
            "the tests of several nodes need NATS with JetStream on 127.0.0.1:4222 (or \
             KRING_TEST_NATS) and the `nats-server` binary: run `sudo {}`",
            script.display()
        ));
    }
    eprintln!("xtask: starting NATS for the tests ({})", script.display());
    run(Command::new(script))
}

/// Builds the frontend into `target/frontend` and returns that folder.
fn build_frontend() -> Result<PathBuf> {
    ensure_wasm_target()?;
    let root = root();
    let mut c = cargo();
    c.current_dir(&root).args([
        "build",
        "--package",
        "kring-frontend",
        "--target",
        "wasm32-unknown-unknown",
        "--profile",
        "wasm-release",
    ]);
    run(c)?;
    let target = target_dir();
    let wasm = target.join("wasm32-unknown-unknown/wasm-release/kring-frontend.wasm");
    let out = target.join("frontend");
    // What the bundle is made of. When nothing of it changed, the folder is left as it is, so
    // its files keep their times and the server (whose build script embeds the folder) is not
    // rebuilt: a warm `cargo xtask run` then starts in seconds instead of a minute and a half.
    let stamp_file = target.join("frontend.stamp");
    let stamp = build_stamp(&wasm, &root.join("frontend/static"))?;
    if out.join("index.html").is_file()
        && std::fs::read_to_string(&stamp_file).is_ok_and(|s| s == stamp)
    {
        eprintln!("frontend unchanged in {}", out.display());
        return Ok(out);
    }
    let generated = target.join("frontend-bindgen");
    std::fs::create_dir_all(&generated).map_err(|e| e.to_string())?;
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(&wasm)
        .web(true)
        .map_err(|e| e.to_string())?
        .out_name("kring")
        .typescript(false)
        .generate(&generated)
        .map_err(|e| format!("wasm-bindgen: {e}"))?;
    wasm_opt(&generated.join("kring_bg.wasm"))?;
    let files = bundle::assemble(&generated, &root.join("frontend/static"), &out)?;
    std::fs::write(&stamp_file, &stamp).map_err(|e| format!("{}: {e}", stamp_file.display()))?;
    let br_size = |f: &str| std::fs::metadata(out.join(format!("{f}.br"))).map_or(0, |m| m.len());
    eprintln!(
        "brotli: WASM {} kB, JS {} kB; a first visit downloads {} kB",
        br_size(&files.wasm) / 1000,
        br_size(&files.js) / 1000,
        bundle::first_visit_bytes(&out, &files) / 1000,
    );
    let (wasm_raw, wasm_gz) = sizes(&out.join(&files.wasm))?;
    let (js_raw, js_gz) = sizes(&out.join(&files.js))?;
    eprintln!(
        "frontend built in {}: WASM {} kB ({} kB gzip), JS {} kB ({} kB gzip); \
         WASM + JS {} kB gzip (budget {} kB)",
        out.display(),
        wasm_raw / 1000,
        wasm_gz / 1000,
        js_raw / 1000,
        js_gz / 1000,
        (wasm_gz + js_gz) / 1000,
        GZIP_BUDGET / 1000,
    );
    Ok(out)
}

/// A SHA-256 over everything the bundle is made of: the compiled module, the static files, the
/// wasm-opt setting and this tool's own executable.
fn build_stamp(wasm: &Path, statics: &Path) -> Result<String> {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    h.update(std::fs::read(wasm).map_err(|e| format!("{}: {e}", wasm.display()))?);
    let mut names: Vec<PathBuf> = std::fs::read_dir(statics)
        .map_err(|e| format!("{}: {e}", statics.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    names.sort();
    for path in names {
        h.update(
            path.file_name()
                .map(|n| n.as_encoded_bytes())
                .unwrap_or_default(),
        );
        h.update(std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?);
    }
    h.update(std::env::var("KRING_WASM_OPT").unwrap_or_default());
    // A changed bundler (this program) makes a new bundle too.
    if let Ok(me) = std::env::current_exe().and_then(std::fs::read) {
        h.update(me);
    }
    Ok(hex::encode(h.finalize()))
}

/// The frontend budget: WASM + JS glue, gzip-compressed, in bytes (1 MB).
const GZIP_BUDGET: u64 = 1_000_000;

/// The WebAssembly features rustc 1.95 enables by default for `wasm32-unknown-unknown`;
/// wasm-bindgen's output uses reference types (its externref table) and bulk memory. wasm-opt
/// validates the module against these, so a feature missing here fails the build loudly.
const WASM_FEATURES: &[&str] = &[
    "--enable-bulk-memory",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-reference-types",
    "--enable-multivalue",
];

/// Shrinks the module in place with binaryen's `wasm-opt -Oz` (the npm package pinned in
/// `crates/xtask/wasm-opt/`). Debian's binaryen 108 is never used: its output throws in Chromium.
fn wasm_opt(wasm: &Path) -> Result<()> {
    if std::env::var_os("KRING_WASM_OPT").is_some_and(|v| v == "0") {
        eprintln!("xtask: KRING_WASM_OPT=0, skipping wasm-opt");
        return Ok(());
    }
    let tool = root().join("crates/xtask/wasm-opt");
    let bin = tool.join("node_modules/.bin/wasm-opt");
    if !bin.exists() {
        let mut npm = Command::new("npm");
        npm.current_dir(&tool)
            .args(["ci", "--no-audit", "--no-fund"]);
        match npm.status() {
            Ok(s) if s.success() => {}
            Ok(s) => return Err(format!("npm ci in {} failed with {s}", tool.display())),
            Err(e) => {
                eprintln!(
                    "xtask: WARNING: npm not found ({e}); the frontend is NOT shrunk by wasm-opt \
                     and may exceed its size budget. Install Node.js with npm to fix this."
                );
                return Ok(());
            }
        }
    }
    let optimised = wasm.with_extension("opt.wasm");
    let mut c = Command::new(&bin);
    c.arg(wasm)
        .arg("-o")
        .arg(&optimised)
        .arg("-Oz")
        .args(WASM_FEATURES);
    run(c)?;
    std::fs::rename(&optimised, wasm).map_err(|e| format!("{}: {e}", wasm.display()))
}

/// A file's size as it is and gzip-compressed (best compression, as a static server would).
fn sizes(path: &Path) -> Result<(u64, u64)> {
    use std::io::Write;
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&bytes).map_err(|e| e.to_string())?;
    let compressed = gz.finish().map_err(|e| e.to_string())?;
    Ok((bytes.len() as u64, compressed.len() as u64))
}

/// Fails when a ChromeDriver or Chromium that the browser test kit started is still alive, and
/// ends them: a test must never leave a browser running (they add up to gigabytes).
fn no_browsers_left() -> Result<()> {
    // A browser that is quitting gets a moment to finish.
    for _ in 0..20 {
        if kring_procs::marked(None).is_empty() {
            eprintln!("xtask: no test browser is left running");
            return Ok(());
        }
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
    let left = kring_procs::kill_marked(None);
    for m in &left {
        eprintln!("xtask: left running by a test: pid {} {}", m.pid, m.command);
    }
    Err(format!(
        "{} browser processes (ChromeDriver/Chromium) outlived their tests; killed them",
        left.len()
    ))
}

/// Builds the release `kring-server` with the frontend embedded into `target/dist/`, beside a
/// SHA-256 checksum file (`sha256sum -c kring-server.sha256` checks it).
fn dist(frontend: PathBuf) -> Result<()> {
    use sha2::Digest;
    let root = root();
    let mut c = cargo();
    c.current_dir(&root)
        .env("KRING_EMBED_FRONTEND", &frontend)
        .args(["build", "--release", "--package", "kring-server"]);
    run(c)?;
    let built = target_dir().join("release/kring-server");
    let dist = target_dir().join("dist");
    std::fs::create_dir_all(&dist).map_err(|e| e.to_string())?;
    let binary = dist.join("kring-server");
    std::fs::copy(&built, &binary).map_err(|e| format!("{}: {e}", built.display()))?;
    let bytes = std::fs::read(&binary).map_err(|e| e.to_string())?;
    let sum = hex::encode(sha2::Sha256::digest(&bytes));
    std::fs::write(
        dist.join("kring-server.sha256"),
        format!("{sum}  kring-server\n"),
    )
    .map_err(|e| e.to_string())?;
    eprintln!(
        "xtask: {} ({} MB, frontend embedded), sha256 {sum}",
        binary.display(),
        bytes.len() / 1_000_000
    );
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("build") => build_frontend().map(|_| ()),
        Some("run") => build_frontend().and_then(|dir| {
            // The frontend is embedded in the binary (as `dist` does), so what runs is what a
            // copied binary would serve.
            let mut c = cargo();
            c.current_dir(root())
                .env("KRING_EMBED_FRONTEND", dir)
                .args(["run", "--release", "--package", "kring-server", "--"])
                .args(args.iter().skip(1).filter(|a| *a != "--"));
            run(c)
        }),
        Some("dist") => build_frontend().and_then(dist),
        Some("test") => ensure_test_packages()
            .and_then(|()| ensure_test_postgres())
            .and_then(|()| ensure_test_nats())
            .and_then(|()| build_frontend())
            .and_then(|dir| {
                let root = root();
                // The official JS client (interop test) and axe-core (every browser test).
                for dir in ["tests/interop", "tests/axe"] {
                    let dir = root.join(dir);
                    if !dir.join("node_modules").exists() {
                        let mut npm = Command::new("npm");
                        npm.current_dir(&dir).args(["ci", "--no-audit", "--no-fund"]);
                        run(npm)?;
                    }
                }
                let mut c = cargo();
                c.current_dir(&root)
                    // The server binary the tests start is the one `run` and `dist` make: with
                    // the frontend embedded (the browser tests still pass their folder).
                    .env("KRING_EMBED_FRONTEND", &dir)
                    .env("KRING_FRONTEND_DIR", dir)
                    // One test at a time: the browser tests each drive several Chromium sessions,
                    // and on two cores running them side by side only makes them slow and flaky.
                    .env("RUST_TEST_THREADS", "1")
                    // Every test binary runs even after one fails, so one failure hides nothing;
                    // the exit code still fails the run.
                    .args(["test", "--workspace", "--no-fail-fast"])
                    .args(args.iter().skip(1));
                let tests = run(c);
                let browsers = no_browsers_left();
                tests.and(browsers)
            }),
        Some("browsers") => no_browsers_left(),
        _ => Err(
            "usage: cargo xtask build | run [-- server flags] | dist | test [-- test args] | browsers"
                .into(),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}
