//! kring-loadgen: drives a running Kring server through its public API and the automerge-repo
//! protocol, like real clients do, and prints what it measured.
//!
//! Workloads:
//! - `edit-latency`: one facilitator edits the workshop document; N participants have it open.
//!   Latency = from the facilitator's send to each participant having applied the change.
//! - `late-joiner`: builds up a workshop document with many changes, then times a new client
//!   loading it and counts the bytes it received.
//! - `connections`: opens N participant connections and holds them, for memory measurements.

use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use kring_shared::automerge::transaction::Transactable;
use kring_shared::schema::workshop;
use kring_testkit::{SyncClient, create_workshop, join};

#[derive(Parser)]
#[command(about)]
struct Args {
    /// Base URL of the server.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    #[command(subcommand)]
    workload: Workload,
}

#[derive(Subcommand)]
enum Workload {
    /// Edits of the workshop title, measured until every reader has applied them.
    EditLatency {
        /// Participants reading along.
        #[arg(long, default_value_t = 1)]
        readers: usize,
        /// Edits to make, one after the other.
        #[arg(long, default_value_t = 200)]
        edits: usize,
    },
    /// A new client loading a workshop document with a long history.
    LateJoiner {
        /// Changes to make before the late joiner arrives.
        #[arg(long, default_value_t = 2000)]
        changes: usize,
    },
    /// Holds N participant connections open.
    Connections {
        #[arg(long, default_value_t = 100)]
        clients: usize,
        /// Seconds to hold them.
        #[arg(long, default_value_t = 10)]
        hold: u64,
    },
}

fn ws_of(url: &str) -> String {
    url.replacen("http", "ws", 1)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let idx = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[idx]
}

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

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

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
        fac.change(w.document, |tx| {
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

async fn late_joiner(url: &str, changes: usize) -> Result<()> {
    let w = create_workshop(url, "late joiner").await?;
    let p = join(url, &w.join_code, "late", "loadgen").await?;
    let mut fac = SyncClient::connect(&ws_of(url), &w.facilitator_token).await?;
    fac.open(w.document).await?;
    for i in 0..changes {
        let title = format!("history {i}");
        fac.change(w.document, |tx| {
            tx.put(kring_shared::automerge::ROOT, "title", title.as_str())
        })
        .await?;
        if i % 100 == 99 {
            fac.wait_for("ack", |c| c.repo.is_acknowledged(&w.document))
                .await?;
        }
    }
    fac.wait_for("ack", |c| c.repo.is_acknowledged(&w.document))
        .await?;
    let expected = format!("history {}", changes - 1);
    let t0 = Instant::now();
    let mut late = SyncClient::connect(&ws_of(url), &p.token).await?;
    late.open(w.document).await?;
    late.wait_for("full state", |c| {
        workshop::view(c.doc(w.document)).title == expected
    })
    .await?;
    println!(
        "late joiner: {changes} changes of history loaded in {:.2?}, {} bytes received",
        t0.elapsed(),
        late.bytes_in
    );
    Ok(())
}

async fn connections(url: &str, clients: usize, hold: u64) -> Result<()> {
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
    let end = Instant::now() + Duration::from_secs(hold);
    while Instant::now() < end {
        for c in open.iter_mut() {
            c.settle(Duration::from_millis(1)).await?;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    match args.workload {
        Workload::EditLatency { readers, edits } => edit_latency(&args.url, readers, edits).await,
        Workload::LateJoiner { changes } => late_joiner(&args.url, changes).await,
        Workload::Connections { clients, hold } => connections(&args.url, clients, hold).await,
    }
}
