//! Simulated clients: each runs as its own tokio task around a [`SyncClient`], writes on a fixed
//! rhythm if it is a writer, and records for every change it applies how long ago the writer
//! committed it.
//!
//! End-to-end latency without clocks in the documents: a writer notes the hash of each change it
//! commits, with the instant, in a shared [`Ledger`] before sending it; a receiver that applied
//! new changes looks their hashes up. Changes the server writes itself (roster entries) are not
//! in the ledger and are not counted. A drag (ephemeral, never stored) is numbered instead: its
//! `by` field carries the writer's running number, which the ledger keeps the same way.
//!
//! A pure reader (the plenary's and the drags' watchers) is *raw*: once its documents are open
//! it no longer runs automerge. It reads each sync message's changes only for their hashes and
//! answers, as an automerge peer would, that it now holds the heads the server sent (the server
//! sent every change it lacked) — a decode, a hash per change and a small reply, so one core
//! holds hundreds of readers. Writers (and the duos, where everyone writes) run the full client,
//! and so do the readers of the reference server: automerge-js 3 sends chunks that automerge
//! 0.12 reads only by applying them.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kring_shared::automerge::sync;
use kring_shared::automerge::transaction::Transaction;
use kring_shared::automerge::{Automerge, AutomergeError, Bundle, Change, ChangeHash};
use kring_shared::drag::Drag;
use kring_shared::engine::client::ClientEvent;
use kring_shared::ids::DocumentId;
use kring_shared::protocol::{DocMessage, Message};
use kring_testkit::SyncClient;

/// One edit: called with the running number of the writer's edits.
pub type EditFn =
    Arc<dyn Fn(&mut Transaction<'_>, u64) -> Result<(), AutomergeError> + Send + Sync>;

/// One thing a writer writes.
pub enum Edit {
    /// A change to the document.
    Change(EditFn),
    /// A drag of a card on the table: an ephemeral message, relayed to every reader.
    Drag,
}

/// What a writer writes: in turn, one of `edits` every `period`, starting after `phase`.
pub struct Writes {
    pub period: Duration,
    pub phase: Duration,
    /// The document, the edit, and how many other clients must apply (or see) it.
    pub edits: Vec<(DocumentId, Edit, u64)>,
}

/// One simulated client: its connection, the documents it has open, and what it writes.
pub struct Sim {
    pub client: SyncClient,
    pub docs: Vec<DocumentId>,
    pub writes: Option<Writes>,
    /// Read raw (see the module doc) instead of through the client engine.
    pub raw: bool,
}

/// Every change written during the measured phase, with when it was committed.
#[derive(Default)]
pub struct Ledger {
    sent: Mutex<HashMap<ChangeHash, Instant>>,
    /// Drags sent, by number.
    drags: Mutex<HashMap<u64, Instant>>,
    next_drag: AtomicU64,
    /// Deliveries owed: Σ over written changes of the clients that must apply them.
    pub expected: AtomicU64,
    /// Deliveries seen so far.
    pub delivered: AtomicU64,
}

impl Ledger {
    /// Whether every delivery owed so far has been seen.
    fn settled(&self) -> bool {
        self.delivered.load(Ordering::Relaxed) >= self.expected.load(Ordering::Relaxed)
    }
}

/// What one client saw.
#[derive(Debug, Default)]
pub struct ClientReport {
    pub samples: Vec<Duration>,
    pub frames: u64,
    pub bytes: u64,
    pub writes: u64,
    pub errors: Vec<String>,
}

/// Runs one client: writes until `write_until`, then keeps applying until every owed delivery
/// was seen (by any client) or `end`.
pub async fn drive(
    mut sim: Sim,
    ledger: Arc<Ledger>,
    write_until: Instant,
    end: Instant,
) -> ClientReport {
    let mut r = ClientReport::default();
    let frames0 = sim.client.frames_in;
    let bytes0 = sim.client.bytes_in;
    let start = Instant::now();
    let mut next_write = sim.writes.as_ref().map(|w| start + w.phase);
    let mut n: u64 = 0;
    if sim.raw {
        raw_reader(&mut sim, &ledger, &mut r, write_until, end).await;
        r.frames = sim.client.frames_in - frames0;
        r.bytes = (sim.client.bytes_in - bytes0) as u64;
        return r;
    }
    // The heads of each open document as last looked at.
    let mut heads: Vec<Vec<ChangeHash>> = sim
        .docs
        .iter()
        .map(|d| {
            sim.client
                .repo
                .doc(d)
                .map(|doc| doc.get_heads())
                .unwrap_or_default()
        })
        .collect();
    loop {
        let now = Instant::now();
        if let (Some(at), Some(w)) = (next_write, sim.writes.as_ref())
            && now >= at
            && now < write_until
        {
            let (doc, edit, receivers) = &w.edits[(n as usize) % w.edits.len()];
            if let Err(e) = write(&mut sim.client, *doc, edit, n, *receivers, &ledger).await {
                r.errors.push(format!("write: {e}"));
                break;
            }
            n += 1;
            r.writes += 1;
            // The writer's own change is not a delivery to it.
            if let Some(i) = sim.docs.iter().position(|d| d == doc)
                && let Some(d) = sim.client.repo.doc(doc)
            {
                heads[i] = d.get_heads();
            }
            // A fixed rhythm; if the client fell behind, it skips rather than bursts.
            let mut next = at + w.period;
            while next < now {
                next += w.period;
            }
            next_write = Some(next);
            continue;
        }
        if now >= end || (now >= write_until && ledger.settled()) {
            break;
        }
        let until = match next_write {
            Some(at) if at < write_until => at.min(end),
            // Draining: look at the ledger every 50 ms.
            _ if now >= write_until => (now + Duration::from_millis(50)).min(end),
            _ => write_until.min(end),
        };
        match sim
            .client
            .pump_one(until.saturating_duration_since(now))
            .await
        {
            Ok(true) => {}
            Ok(false) => {
                r.errors.push(format!(
                    "connection closed: {}",
                    sim.client.closed.clone().unwrap_or_default()
                ));
                break;
            }
            Err(e) => {
                r.errors.push(e.to_string());
                break;
            }
        }
        let applied_at = Instant::now();
        for (doc_id, seen) in sim.docs.iter().zip(heads.iter_mut()) {
            let Some(doc) = sim.client.repo.doc(doc_id) else {
                continue;
            };
            let now_heads = doc.get_heads();
            if now_heads == *seen {
                continue;
            }
            let new = doc.get_changes(seen);
            *seen = now_heads;
            let sent = ledger.sent.lock().expect("ledger");
            for c in new {
                if let Some(t0) = sent.get(&c.hash()) {
                    r.samples.push(applied_at - *t0);
                    ledger.delivered.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        for e in &sim.client.events {
            if let ClientEvent::Ephemeral { data, .. } = e
                && let Some(d) = Drag::decode(data)
                && d.hand == DRAG_HAND
                && let Ok(number) = d.by.parse::<u64>()
                && let Some(t0) = ledger.drags.lock().expect("ledger").get(&number)
            {
                r.samples.push(applied_at - *t0);
                ledger.delivered.fetch_add(1, Ordering::Relaxed);
            }
        }
        r.errors.extend(sim.client.errors());
        sim.client.events.clear();
    }
    r.frames = sim.client.frames_in - frames0;
    r.bytes = (sim.client.bytes_in - bytes0) as u64;
    r
}

/// A raw reader's loop (see the module doc), until every owed delivery was seen or `end`.
async fn raw_reader(
    sim: &mut Sim,
    ledger: &Ledger,
    r: &mut ClientReport,
    write_until: Instant,
    end: Instant,
) {
    // The heads this reader last told the server it holds, per document.
    let mut told: HashMap<DocumentId, Vec<ChangeHash>> = sim
        .docs
        .iter()
        .filter_map(|d| Some((*d, sim.client.repo.doc(d)?.get_heads())))
        .collect();
    // Every change this reader holds that may be named as a head: the heads it opened with and
    // every change it received since.
    let mut known: HashSet<ChangeHash> = told.values().flatten().copied().collect();
    let me = sim.client.repo.peer_id().clone();
    loop {
        let now = Instant::now();
        if now >= end || (now >= write_until && ledger.settled()) {
            return;
        }
        let wait = if now >= write_until {
            Duration::from_millis(50)
        } else {
            write_until - now
        };
        let m = match sim.client.recv_message(wait.min(end - now)).await {
            Ok(Some(m)) => m,
            Ok(None) => continue,
            Err(e) => {
                r.errors.push(e.to_string());
                return;
            }
        };
        let applied_at = Instant::now();
        match m {
            Message::Sync(d) | Message::Request(d) => {
                let sm = match sync::Message::decode(&d.data) {
                    Ok(sm) => sm,
                    Err(e) => {
                        r.errors.push(format!("undecodable sync message: {e}"));
                        return;
                    }
                };
                {
                    let sent = ledger.sent.lock().expect("ledger");
                    for chunk in sm.changes.iter() {
                        for h in change_hashes(chunk) {
                            if known.insert(h)
                                && let Some(t0) = sent.get(&h)
                            {
                                r.samples.push(applied_at - *t0);
                                ledger.delivered.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    }
                }
                let mine = told.entry(d.document_id).or_default();
                if sm.heads == *mine {
                    continue;
                }
                // Heads it holds every change of are now its own; a message that names heads
                // without their changes (a server that has not heard from it yet) is answered
                // with the heads it really has and the ones it needs.
                let need: Vec<ChangeHash> = sm
                    .heads
                    .iter()
                    .filter(|h| !known.contains(h))
                    .copied()
                    .collect();
                if need.is_empty() {
                    mine.clone_from(&sm.heads);
                }
                let reply = sync::Message {
                    heads: mine.clone(),
                    need,
                    have: vec![sync::Have {
                        last_sync: mine.clone(),
                        bloom: sync::BloomFilter::from_hashes(std::iter::empty::<ChangeHash>()),
                    }],
                    changes: Vec::<Vec<u8>>::new().into(),
                    flags: None,
                    version: sync::MessageVersion::V1,
                };
                let out = Message::Sync(DocMessage {
                    sender_id: me.clone(),
                    target_id: d.sender_id,
                    document_id: d.document_id,
                    data: reply.encode().into(),
                });
                if let Err(e) = sim.client.send(&out).await {
                    r.errors.push(e.to_string());
                    return;
                }
            }
            Message::Ephemeral { data, .. } => {
                if let Some(d) = Drag::decode(&data)
                    && d.hand == DRAG_HAND
                    && let Ok(number) = d.by.parse::<u64>()
                    && let Some(t0) = ledger.drags.lock().expect("ledger").get(&number)
                {
                    r.samples.push(applied_at - *t0);
                    ledger.delivered.fetch_add(1, Ordering::Relaxed);
                }
            }
            Message::Error { message, .. } => r.errors.push(message),
            Message::DocUnavailable { document_id, .. } => {
                r.errors.push(format!("{document_id} became unavailable"));
            }
            _ => {}
        }
    }
}

/// The hashes of the changes in one chunk of a sync message: a change, a bundle of changes
/// (automerge-js 3 sends those), or (when the server sends the whole document) a document.
fn change_hashes(chunk: &[u8]) -> Vec<ChangeHash> {
    if let Ok(c) = Change::from_bytes(chunk.to_vec()) {
        return vec![c.hash()];
    }
    if let Some(changes) = Bundle::try_from(chunk)
        .ok()
        .and_then(|b| b.to_changes().ok())
    {
        return changes.iter().map(|c| c.hash()).collect();
    }
    Automerge::load(chunk)
        .map(|doc| doc.get_changes(&[]).iter().map(|c| c.hash()).collect())
        .unwrap_or_default()
}

/// The `hand` of the load generator's drags (`by` carries the drag's number).
const DRAG_HAND: &str = "loadgen";

async fn write(
    c: &mut SyncClient,
    doc: DocumentId,
    edit: &Edit,
    n: u64,
    receivers: u64,
    ledger: &Ledger,
) -> Result<(), String> {
    let t0 = Instant::now();
    let edit = match edit {
        Edit::Change(f) => f,
        Edit::Drag => {
            let number = ledger.next_drag.fetch_add(1, Ordering::Relaxed);
            let step = (n % 100) as f64 / 100.0;
            let drag = Drag {
                card: format!("card-{}", n % 10),
                x: step,
                y: 1.0 - step,
                by: number.to_string(),
                hand: DRAG_HAND.into(),
                done: false,
            };
            let m = c
                .repo
                .ephemeral(doc, drag.encode())
                .ok_or("not connected")?;
            ledger.drags.lock().expect("ledger").insert(number, t0);
            ledger.expected.fetch_add(receivers, Ordering::Relaxed);
            return c.send(&m).await.map_err(|e| e.to_string());
        }
    };
    c.repo
        .change(&doc, |tx| edit(tx, n))
        .ok_or("document not open")?
        .map_err(|e| e.to_string())?;
    let hash = c
        .repo
        .doc(&doc)
        .and_then(|d| d.get_last_local_change())
        .map(|ch| ch.hash())
        .ok_or("no local change")?;
    ledger.sent.lock().expect("ledger").insert(hash, t0);
    ledger.expected.fetch_add(receivers, Ordering::Relaxed);
    for m in c.repo.flush() {
        c.send(&m).await.map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Runs every client at once for `duration`, then lets deliveries drain: until every owed
/// delivery was seen, `drain` at most.
pub async fn run_all(sims: Vec<Sim>, duration: Duration, drain: Duration) -> Outcome {
    let ledger = Arc::new(Ledger::default());
    let start = Instant::now();
    let write_until = start + duration;
    let end = write_until + drain;
    let tasks: Vec<_> = sims
        .into_iter()
        .map(|s| tokio::spawn(drive(s, ledger.clone(), write_until, end)))
        .collect();
    let mut out = Outcome::default();
    for t in tasks {
        match t.await {
            Ok(r) => {
                out.samples.extend(r.samples);
                out.frames += r.frames;
                out.bytes += r.bytes;
                out.writes += r.writes;
                out.errors.extend(r.errors);
            }
            Err(e) => out.errors.push(format!("client task: {e}")),
        }
    }
    out.elapsed = start.elapsed();
    out.measured = duration;
    out.expected = ledger.expected.load(Ordering::Relaxed);
    out.samples.sort();
    out
}

/// Everything the clients of one run saw together.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Sorted latencies, one per delivery (change × receiving client).
    pub samples: Vec<Duration>,
    pub frames: u64,
    pub bytes: u64,
    pub writes: u64,
    pub expected: u64,
    pub errors: Vec<String>,
    /// The writing phase.
    pub measured: Duration,
    /// Writing phase plus drain.
    pub elapsed: Duration,
}

impl Outcome {
    pub fn deliveries(&self) -> u64 {
        self.samples.len() as u64
    }

    /// Deliveries owed but never seen.
    pub fn lost(&self) -> u64 {
        self.expected.saturating_sub(self.deliveries())
    }

    pub fn percentile(&self, p: f64) -> Duration {
        percentile(&self.samples, p)
    }
}

/// The `p`-quantile of sorted samples (nearest rank).
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let idx = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[idx]
}
