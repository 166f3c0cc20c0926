//! kring-loadgen: drives a protocol server the way real clients do — WebSocket, CBOR,
//! automerge sync — and prints what it measured: latency percentiles from a change committed on
//! one simulated client to it being applied on the others, throughput, errors, and the server
//! process's CPU time per delivered change and memory. Beside its own percentiles it prints the
//! server's: p50/p99 of Kring's `kring_receive_to_*_seconds` histograms over the run, from
//! `/metrics` scraped before and after ([`server_metrics`]; "n/a" for the Node server).
//!
//! It targets Kring (workshops and tokens through the HTTP API) and the reference
//! automerge-repo sync server under Node (`peer/server.mjs`, no tokens), one after the other in
//! the same run, and prints them side by side. By default it starts each server itself on a
//! free loopback port (`kring-server` from the same cargo profile, `node peer/server.mjs`);
//! `--url` (and `--server-pid` for CPU numbers) attaches to one already running, or to several
//! nodes behind one load balancer (`--server-pid` once per node).
//!
//! Workloads (issue 8):
//! - `plenary`: 1 workshop at step 3, N participants + 1 screen with the table document open; a
//!   facilitator moves cards R×/s with `schema::table::place_card`.
//! - `duos`: W workshops × N participants in duos, everyone typing R edits/s into a note and an
//!   insight card; latency = edit → partner applied.
//! - `late-joiner`: a workshop with many notes and insight cards typed in ~20k changes; time and
//!   bytes for a new client to hold everything it may read.
//! - `drags` (Kring only): the plenary while a facilitator drags cards — R drag previews/s
//!   (ephemeral, never stored) to N participants + 1 screen; latency = sent → received.
//!
//! `--pin` puts the server it starts on core 0 (`taskset -c 0`) and itself on core 1 (`taskset
//! -a -cp 1`, with a one-thread runtime), so neither waits for the other's core.
//!
//! and two older ones against Kring only: `edit-latency` (sequential edits of the workshop
//! title) and `connections` (holds N connections open, for memory).
//!
//! The exit code is 1 when any client saw an error or a delivery went missing — never because
//! of timing, so CI can run a short smoke of it on a noisy machine.

mod server_metrics;
mod servers;
mod sim;
mod workloads;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use kring_shared::automerge::transaction::Transactable;
use kring_shared::schema::workshop;
use kring_testkit::{SyncClient, create_workshop, join};
use servers::{Kind, Server};

#[derive(Parser)]
#[command(about)]
struct Args {
    /// Servers to measure, one after the other in this run (repeat: `--target kring --target
    /// node`).
    #[arg(long = "target", value_enum, default_values_t = [Kind::Kring])]
    targets: Vec<Kind>,
    /// Attach to a running server at this base URL instead of starting one (one target only).
    #[arg(long)]
    url: Option<String>,
    /// The pid of the server at `--url`, for CPU and memory numbers; repeat it for several
    /// nodes behind one load balancer at `--url` (their CPU and memory are added up).
    #[arg(long)]
    server_pid: Vec<u32>,
    /// The `kring-server` binary to start (default: next to this executable).
    #[arg(long)]
    kring_bin: Option<PathBuf>,
    /// The token Kring's `/metrics` asks for, if it was started with one.
    #[arg(long, env = "KRING_METRICS_TOKEN")]
    metrics_token: Option<String>,
    /// Put the server this starts on core 0 and the load generator on core 1 (`taskset`),
    /// the load generator then running its clients on one thread.
    #[arg(long)]
    pin: bool,
    #[command(subcommand)]
    workload: Workload,
}

#[derive(Subcommand, Clone)]
enum Workload {
    /// A facilitator moves cards on the plenary table; everyone watches.
    Plenary {
        /// Participants watching (plus one screen).
        #[arg(long, default_value_t = 200)]
        people: usize,
        /// Card moves per second.
        #[arg(long, default_value_t = 20.0)]
        rate: f64,
        /// Seconds of moving.
        #[arg(long, default_value_t = 20)]
        secs: u64,
    },
    /// Duos typing into notes and insight cards in many workshops at once.
    Duos {
        #[arg(long, default_value_t = 50)]
        workshops: usize,
        /// Participants per workshop (in duos).
        #[arg(long, default_value_t = 20)]
        people: usize,
        /// Edits per second per participant.
        #[arg(long, default_value_t = 2.0)]
        rate: f64,
        /// Seconds of typing.
        #[arg(long, default_value_t = 20)]
        secs: u64,
    },
    /// A facilitator drags cards on the plenary table; everyone watches the previews (Kring
    /// only).
    Drags {
        /// Participants watching (plus one screen).
        #[arg(long, default_value_t = 200)]
        people: usize,
        /// Drag updates per second (the browser sends at most 30).
        #[arg(long, default_value_t = 30.0)]
        rate: f64,
        /// Seconds of dragging.
        #[arg(long, default_value_t = 20)]
        secs: u64,
    },
    /// A new client loading a workshop with a long history.
    LateJoiner {
        /// Participants (in duos) who wrote the history.
        #[arg(long, default_value_t = 20)]
        people: usize,
        /// Notes in all.
        #[arg(long, default_value_t = 1000)]
        notes: usize,
        /// Insight cards in all.
        #[arg(long, default_value_t = 300)]
        cards: usize,
    },
    /// Edits of the workshop title, measured until every reader has applied them (Kring only).
    EditLatency {
        /// Participants reading along.
        #[arg(long, default_value_t = 1)]
        readers: usize,
        /// Edits to make, one after the other.
        #[arg(long, default_value_t = 200)]
        edits: usize,
    },
    /// Holds N participant connections open (Kring only).
    Connections {
        #[arg(long, default_value_t = 100)]
        clients: usize,
        /// Seconds to hold them.
        #[arg(long, default_value_t = 10)]
        hold: u64,
    },
}

/// How long the clients may keep applying after the last write, for deliveries in flight; they
/// stop as soon as every owed delivery has arrived. Generous, so that a slow machine shows up as
/// latency, not as lost deliveries.
const DRAIN: Duration = Duration::from_secs(30);

/// What one target did in one streaming workload, for the side-by-side table.
struct Row {
    target: Kind,
    outcome: sim::Outcome,
    cpu: Option<Duration>,
    /// CPU time of this load generator itself in the same span (it shares the machine).
    own_cpu: Option<Duration>,
    rss: Option<u64>,
    connections: usize,
    /// The server's own histograms over the run, or why there are none.
    server_share: std::result::Result<Vec<server_metrics::Summary>, String>,
}

impl Row {
    fn cpu_per_delivery(&self) -> Option<Duration> {
        let d = self.outcome.deliveries();
        self.cpu.filter(|_| d > 0).map(|c| c / d as u32)
    }
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

fn print_row(name: &str, r: &Row) {
    let o = &r.outcome;
    let secs = o.measured.as_secs_f64();
    println!(
        "{} {name}: {} connections; {} changes written, {} of {} deliveries ({} lost)",
        r.target.name(),
        r.connections,
        o.writes,
        o.deliveries(),
        o.expected,
        o.lost()
    );
    println!(
        "  latency change → applied: p50 {:.2?}  p95 {:.2?}  p99 {:.2?}  max {:.2?}",
        o.percentile(0.50),
        o.percentile(0.95),
        o.percentile(0.99),
        o.samples.last().copied().unwrap_or_default()
    );
    println!(
        "  throughput: {:.0} changes/s written, {:.0} deliveries/s, {:.0} frames/s received, {:.1} MB/s",
        o.writes as f64 / secs,
        o.deliveries() as f64 / secs,
        o.frames as f64 / secs,
        mb(o.bytes) / secs
    );
    match (r.cpu, r.cpu_per_delivery()) {
        (Some(cpu), Some(per)) => println!(
            "  server CPU: {:.2?} in {:.1?} ({:.0}% of one core), {:.1?} per delivered change",
            cpu,
            o.elapsed,
            100.0 * cpu.as_secs_f64() / o.elapsed.as_secs_f64(),
            per
        ),
        (Some(cpu), None) => println!("  server CPU: {cpu:.2?}, no deliveries"),
        (None, _) => println!("  server CPU: unknown (no pid; pass --server-pid)"),
    }
    if let Some(own) = r.own_cpu {
        println!(
            "  load generator CPU: {:.2?} ({:.0}% of one core; it shares the machine)",
            own,
            100.0 * own.as_secs_f64() / o.elapsed.as_secs_f64()
        );
    }
    if let Some(rss) = r.rss {
        println!("  server RSS after the run: {:.1} MB", mb(rss));
    }
    print_server_share(&r.server_share);
    println!("  errors: {}", o.errors.len());
    for e in o.errors.iter().take(5) {
        println!("    {e}");
    }
}

/// The server's share of the latency, per histogram and series, as the server measured it.
fn print_server_share(share: &std::result::Result<Vec<server_metrics::Summary>, String>) {
    match share {
        Err(why) => println!("  server-side latency: n/a ({why})"),
        Ok(rows) if rows.is_empty() => println!("  server-side latency: no observations"),
        Ok(rows) => {
            println!("  server-side latency (its /metrics over the run; kind/class):");
            let d = |p: Option<Duration>| p.map_or("-".into(), |p| format!("{p:.2?}"));
            for r in rows {
                println!(
                    "    {:<26} {:<20} n={:<8} p50 {:<10} p99 {}",
                    r.stage,
                    r.labels,
                    r.count,
                    d(r.p50),
                    d(r.p99)
                );
            }
        }
    }
}

fn print_side_by_side(name: &str, rows: &[Row]) {
    let (Some(k), Some(n)) = (
        rows.iter().find(|r| r.target == Kind::Kring),
        rows.iter().find(|r| r.target == Kind::Node),
    ) else {
        return;
    };
    let ratio = |a: Duration, b: Duration| {
        if b.is_zero() {
            f64::NAN
        } else {
            a.as_secs_f64() / b.as_secs_f64()
        }
    };
    println!();
    println!("{name}, side by side (same run, same machine; kring ÷ node, goal ≤ 0.10):");
    println!("| | kring | node | kring ÷ node |");
    println!("|---|---|---|---|");
    for (label, p) in [("p50", 0.50), ("p95", 0.95), ("p99", 0.99), ("max", 1.0)] {
        let (a, b) = (k.outcome.percentile(p), n.outcome.percentile(p));
        println!("| {label} | {a:.2?} | {b:.2?} | {:.3} |", ratio(a, b));
    }
    if let (Some(a), Some(b)) = (k.cpu_per_delivery(), n.cpu_per_delivery()) {
        println!(
            "| server CPU per delivery | {a:.1?} | {b:.1?} | {:.3} |",
            ratio(a, b)
        );
    }
    println!(
        "| deliveries (lost) | {} ({}) | {} ({}) | |",
        k.outcome.deliveries(),
        k.outcome.lost(),
        n.outcome.deliveries(),
        n.outcome.lost()
    );
}

async fn start(args: &Args, kind: Kind) -> Result<Server> {
    if let Some(url) = &args.url {
        return Ok(Server::attach(kind, url.clone(), args.server_pid.clone()));
    }
    match kind {
        Kind::Kring => {
            let bin = args
                .kring_bin
                .clone()
                .unwrap_or_else(servers::default_kring_bin);
            Server::spawn_kring(&bin, args.pin.then_some(SERVER_CORE)).await
        }
        Kind::Node => Server::spawn_node(args.pin.then_some(SERVER_CORE)).await,
    }
}

/// Runs a streaming workload (plenary, duos) against one server.
async fn stream(server: &Server, w: &Workload, metrics_token: Option<&str>) -> Result<Row> {
    let (sims, secs) = match *w {
        Workload::Plenary { people, rate, secs } => {
            (workloads::plenary(server, people, rate).await?, secs)
        }
        Workload::Duos {
            workshops,
            people,
            rate,
            secs,
        } => (
            workloads::duos(server, workshops, people, rate).await?,
            secs,
        ),
        Workload::Drags { people, rate, secs } => {
            (workloads::drags(server, people, rate).await?, secs)
        }
        _ => unreachable!("not a streaming workload"),
    };
    let connections = sims.len();
    eprintln!(
        "{}: {connections} clients connected and synced; running {secs} s",
        server.kind.name()
    );
    let scrape = || async {
        match server.kind {
            Kind::Kring => server_metrics::scrape(&server.url, metrics_token).await,
            Kind::Node => Err("the reference server has no /metrics".to_owned()),
        }
    };
    let scraped_before = scrape().await;
    let before = server.stats();
    let own_before = servers::proc_stats(std::process::id()).ok();
    let outcome = sim::run_all(sims, Duration::from_secs(secs), DRAIN).await;
    let after = server.stats();
    let own_after = servers::proc_stats(std::process::id()).ok();
    let server_share = match (scraped_before, scrape().await) {
        (Ok(b), Ok(a)) => Ok(server_metrics::summarize(&b, &a)),
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    Ok(Row {
        target: server.kind,
        cpu: before.zip(after).map(|(b, a)| a.cpu.saturating_sub(b.cpu)),
        own_cpu: own_before
            .zip(own_after)
            .map(|(b, a)| a.cpu.saturating_sub(b.cpu)),
        rss: after.map(|a| a.rss_bytes),
        outcome,
        connections,
        server_share,
    })
}

fn ws_of(url: &str) -> String {
    url.replacen("http", "ws", 1)
}

use sim::percentile;

fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    println!(
        "{name}: n={} p50={:.2?} p95={:.2?} p99={:.2?} max={:.2?}",
        samples.len(),
        percentile(&samples, 0.50),
        percentile(&samples, 0.95),
        percentile(&samples, 0.99),
        samples.last().copied().unwrap_or_default()
    );
}

type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

async fn edit_latency(url: &str, readers: usize, edits: usize) -> Result<()> {
    let w = create_workshop(url, "loadgen").await?;
    let mut fac = SyncClient::connect(&ws_of(url), &w.facilitator_token).await?;
    fac.open(w.document).await?;
    let mut clients = Vec::new();
    for i in 0..readers {
        let p = join(url, &w.join_code, &format!("reader {i}"), "loadgen").await?;
        let mut c = SyncClient::connect(&ws_of(url), &p.token).await?;
        c.open(w.document).await?;
        clients.push(c);
    }
    let mut samples = Vec::with_capacity(edits * readers);
    let started = Instant::now();
    for i in 0..edits {
        let title = format!("edit {i}");
        let t0 = Instant::now();
        fac.change_nowait(w.document, |tx| {
            tx.put(kring_shared::automerge::ROOT, "title", title.as_str())
        })
        .await?;
        for c in clients.iter_mut() {
            c.wait_for("edit applied", |c| {
                workshop::view(c.doc(w.document)).title == title
            })
            .await?;
            samples.push(t0.elapsed());
        }
        // Keep the facilitator's socket drained.
        fac.settle(Duration::ZERO).await?;
    }
    let total = started.elapsed();
    report("edit → applied on reader", samples);
    println!(
        "throughput: {:.0} edits/s, {:.0} deliveries/s",
        edits as f64 / total.as_secs_f64(),
        (edits * readers) as f64 / total.as_secs_f64()
    );
    Ok(())
}

async fn connections(server: &Server, clients: usize, hold: u64) -> Result<()> {
    let url = server.url.as_str();
    let idle = server.stats();
    let w = create_workshop(url, "connections").await?;
    let t0 = Instant::now();
    let mut open = Vec::with_capacity(clients);
    for i in 0..clients {
        let p = join(url, &w.join_code, &format!("client {i}"), "loadgen").await?;
        let mut c = SyncClient::connect(&ws_of(url), &p.token).await?;
        c.open(w.document).await?;
        open.push(c);
    }
    println!(
        "{clients} clients connected and synced in {:.2?}; holding {hold} s",
        t0.elapsed()
    );
    if let (Some(idle), Some(now)) = (idle, server.stats()) {
        println!(
            "  server RSS: {:.1} MB before, {:.1} MB with {clients} synced connections",
            mb(idle.rss_bytes),
            mb(now.rss_bytes)
        );
    }
    let end = Instant::now() + Duration::from_secs(hold);
    while Instant::now() < end {
        for c in open.iter_mut() {
            c.settle(Duration::from_millis(1)).await?;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Ok(())
}

/// The cores `--pin` uses.
const SERVER_CORE: usize = 0;
const LOADGEN_CORE: usize = 1;

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let runtime = if args.pin {
        // Pinned before the runtime starts, so every thread it makes is on the same core; on
        // one core, one thread does the same work without handing tasks between threads.
        if let Err(e) = servers::pin_self(LOADGEN_CORE) {
            eprintln!("kring-loadgen: --pin: {e}");
            return std::process::ExitCode::FAILURE;
        }
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
    };
    let runtime = match runtime {
        Ok(r) => r,
        Err(e) => {
            eprintln!("kring-loadgen: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("kring-loadgen: errors or lost deliveries (see above)");
            std::process::ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("kring-loadgen: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Runs the workload against every target; `false` when a client saw errors.
async fn run(args: Args) -> Result<bool> {
    if args.url.is_some() && args.targets.len() > 1 {
        return Err("--url attaches to one server: give one --target".into());
    }
    let mut ok = true;
    let mut rows = Vec::new();
    for &kind in &args.targets {
        let server = start(&args, kind).await?;
        let name = match &args.workload {
            Workload::Plenary { .. } => "plenary",
            Workload::Duos { .. } => "duos",
            Workload::Drags { .. } => "drags",
            Workload::LateJoiner { .. } => "late joiner",
            Workload::EditLatency { .. } => "edit-latency",
            Workload::Connections { .. } => "connections",
        };
        match args.workload.clone() {
            w @ (Workload::Plenary { .. } | Workload::Duos { .. } | Workload::Drags { .. }) => {
                if matches!(w, Workload::Drags { .. }) {
                    only_kring(kind)?;
                }
                let row = stream(&server, &w, args.metrics_token.as_deref()).await?;
                print_row(name, &row);
                ok &= row.outcome.errors.is_empty() && row.outcome.lost() == 0;
                rows.push(row);
            }
            Workload::LateJoiner {
                people,
                notes,
                cards,
            } => {
                let l = workloads::late_joiner(&server, people, notes, cards).await?;
                println!(
                    "{} late joiner: {} documents ({} changes of history) loaded in {:.2?}, {} bytes in {} frames received",
                    kind.name(),
                    l.documents,
                    l.changes,
                    l.elapsed,
                    l.bytes,
                    l.frames
                );
                if let Some(s) = server.stats() {
                    println!("  server RSS: {:.1} MB", mb(s.rss_bytes));
                }
            }
            Workload::EditLatency { readers, edits } => {
                only_kring(kind)?;
                edit_latency(&server.url, readers, edits).await?;
            }
            Workload::Connections { clients, hold } => {
                only_kring(kind)?;
                connections(&server, clients, hold).await?;
            }
        }
        server.stop().await;
    }
    if let Workload::Plenary { .. } = args.workload {
        print_side_by_side("plenary", &rows);
    }
    if let Workload::Duos { .. } = args.workload {
        print_side_by_side("duos", &rows);
    }
    Ok(ok)
}

fn only_kring(kind: Kind) -> Result<()> {
    if kind == Kind::Kring {
        Ok(())
    } else {
        Err("this workload needs Kring's HTTP API".into())
    }
}
