//! One task per active workshop, the only writer of its documents; connections and HTTP handlers
//! talk to it through a bounded channel of [`Command`]s.
//!
//! The workshop's logic is sans-IO, in [`core::Workshop`] (with [`follow`] for the documents and
//! aggregates that follow the workshop document). This task only does the IO around it: each
//! loop takes every command already queued and hands them to the workshop as one turn, makes the
//! turn's write durable in one store write, and only then answers and delivers: no peer ever
//! hears of heads that are not on disk. It also owns what the workshop cannot see: the
//! connections' outboxes, their byte budgets (a peer too slow to keep up is cut off), the idle
//! unload and shutdown.
//!
//! It also times each received frame ([`crate::metrics`]): the frame's [`Stamp`] comes with its
//! command, is observed once the turn's write is committed and once the frames it caused are
//! queued, and rides in each of those frames' [`Outgoing::Frame`] to the socket.
//!
//! Retention lives in the workshop too, because only it writes the workshop's documents: once
//! the workshop has been closed for the grace period, a turn keeps step 1's anonymous counts in
//! the workshop document, forgets every private document and has the store delete them in the
//! same write. A facilitator's deletion and the idle sweep stop the task ([`Command::Retire`])
//! before the registry deletes the workshop from the store.

mod consensus;
pub mod core;
mod follow;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use automerge::Automerge;
use kring_shared::access::{DocKind, Principal};
use kring_shared::engine::hub::Hub;
use kring_shared::ids::{DocumentId, ParticipantId, PeerId, WorkshopId};
use kring_shared::limits::MAX_FRAME_BYTES;
use kring_shared::protocol::{Bytes, Encoder, Message};
use kring_shared::report;
use kring_shared::schema::workshop as workshop_schema;
use kring_shared::timer::{Timer, TimerAction};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

use self::core::{Answer, Caused, Input, Replica, Turn, Workshop};
use crate::cluster::{Cluster, Feed, Heard};
use crate::metrics::{Metrics, Stage, Stamp};
use crate::store::{Activity, Store, StoreError, WriteBatch};

/// Commands queued for one workshop task. Bounded: a flood of messages makes senders wait.
pub const COMMAND_QUEUE: usize = 1024;

/// What a connection receives from its workshop.
#[derive(Debug)]
pub enum Outgoing {
    /// Encoded bytes; `stamp` when the frame is fan-out of a received frame being timed (the
    /// socket loop observes it once written).
    Frame { bytes: Bytes, stamp: Option<Stamp> },
    /// The workshop closes this connection, with a reason for the peer.
    Close(String),
}

/// What the rest of the server asks of a workshop: an [`Input`] with the channel for its
/// [`Answer`] (and, for a connection, its outbox).
pub enum Command {
    Connect {
        peer: PeerId,
        /// Unique per WebSocket connection (see [`Input::Connect`]).
        conn: u64,
        principal: Principal,
        outbox: mpsc::Sender<Outgoing>,
        /// Bytes queued in `outbox` and not yet written; the connection subtracts what it writes.
        queued: Arc<AtomicUsize>,
        reply: oneshot::Sender<Result<(), String>>,
    },
    Receive {
        peer: PeerId,
        message: Message,
        /// When the socket loop received the frame.
        received: Instant,
    },
    Disconnect {
        peer: PeerId,
        conn: u64,
    },
    AddParticipant {
        name: String,
        organisation: String,
        reply: oneshot::Sender<Result<NewParticipant, CommandError>>,
    },
    /// A participant fixes their name or organisation.
    UpdateParticipant {
        participant: ParticipantId,
        name: String,
        organisation: String,
        reply: oneshot::Sender<Result<(), String>>,
    },
    /// The workshop document as a view (for public workshop info).
    View {
        reply: oneshot::Sender<workshop_schema::WorkshopView>,
    },
    /// A facilitator acts on the step timer; the server's clock is the timer's clock.
    Timer {
        by: Principal,
        action: TimerAction,
        reply: oneshot::Sender<Result<Timer, CommandError>>,
    },
    /// What the workshop report is made of (never a reflection: step 1 only as counts).
    /// `created_at_ms` is left 0 for the caller, who has the workshop's row.
    Report {
        reply: oneshot::Sender<report::Sources>,
    },
    /// A facilitator lets participants fetch the report, or stops it.
    ShareReport {
        by: Principal,
        shared: bool,
        reply: oneshot::Sender<Result<(), CommandError>>,
    },
    /// Does nothing but end a turn, so the retention check runs (the sweep sends it).
    Maintain {
        reply: oneshot::Sender<()>,
    },
    /// Stops the task so the workshop can be deleted (see [`Input::Retire`]). Answers `true`
    /// once the task has stopped for good, `false` when it stays.
    Retire {
        force: bool,
        idle_before: i64,
        reply: oneshot::Sender<bool>,
    },
    /// Whether this node holds the workshop's lease (sent by its lease loop, see
    /// [`Input::Lead`]); sent on every renewal, so the holder also takes a turn then.
    Lead(bool),
}

/// Why a command was not carried out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandError {
    /// The principal may not do this now (e.g. the console is locked by someone else).
    Forbidden(String),
    /// The workshop cannot take this (it is full).
    Conflict(String),
    Failed(String),
}

/// What joining hands back to the HTTP handler.
#[derive(Debug, Clone)]
pub struct NewParticipant {
    pub participant_id: ParticipantId,
    pub token: String,
    pub reflection_doc: DocumentId,
}

/// A handle to a running workshop task.
#[derive(Clone)]
pub struct WorkshopHandle {
    pub id: WorkshopId,
    pub commands: mpsc::Sender<Command>,
}

/// The peer id the server uses towards the peers of one workshop.
pub fn server_peer_id(workshop: WorkshopId) -> PeerId {
    PeerId::new(format!("{SERVER_PEER_PREFIX}{workshop}"))
}

/// Every server peer id starts with this; no client may join with such an id.
pub const SERVER_PEER_PREFIX: &str = "kring-server/";

/// What every workshop task shares with the rest of the server.
#[derive(Clone)]
pub struct TaskContext {
    pub store: Arc<dyn Store>,
    pub metrics: Arc<Metrics>,
    /// How long a workshop without connections stays loaded.
    pub idle: Duration,
    /// Cancelled when the server shuts down.
    pub shutdown: CancellationToken,
    pub tracker: TaskTracker,
    /// How long after closing a workshop its reflection documents are purged.
    pub purge_grace: Duration,
    /// The abuse limits (outbox budgets).
    pub limits: crate::abuse::Limits,
    /// The other nodes, with `--nats`; `None` on a single node.
    pub cluster: Option<Arc<Cluster>>,
}

/// The wall clock, in ms since the epoch: the workshop's `now` in the server.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Loads a workshop's documents into a [`Hub`]. Any document that does not load is an error:
/// a workshop is served whole or not at all.
pub async fn load(
    store: &dyn Store,
    id: WorkshopId,
    workshop_doc: DocumentId,
) -> Result<Hub, StoreError> {
    let stored = store.documents(id).await?;
    let mut loaded: Vec<(DocumentId, DocKind, Automerge)> = Vec::new();
    for d in stored {
        let mut doc = Automerge::new();
        for chunk in &d.chunks {
            doc.load_incremental(chunk)
                .map_err(|e| StoreError::Corrupt(format!("document {}: {e}", d.row.id)))?;
        }
        loaded.push((d.row.id, d.row.kind, doc));
    }
    let ws_doc = loaded
        .iter()
        .position(|(doc_id, _, _)| *doc_id == workshop_doc)
        .map(|i| loaded.swap_remove(i).2)
        .ok_or_else(|| StoreError::Corrupt(format!("workshop {id} has no workshop document")))?;
    let mut hub = Hub::new(server_peer_id(id), workshop_doc, ws_doc);
    for (doc_id, kind, doc) in loaded {
        hub.insert_document(doc_id, kind, doc);
    }
    Ok(hub)
}

/// Loads a workshop's documents and starts its task. The task ends when it has had no
/// connection for `ctx.idle` (or the server shuts down) and then calls `on_exit`.
pub async fn start(
    id: WorkshopId,
    workshop_doc: DocumentId,
    ctx: TaskContext,
    on_exit: impl FnOnce() + Send + 'static,
) -> Result<WorkshopHandle, crate::registry::RegistryError> {
    // Listening before reading: a change another node stores after the read below is heard.
    let feed = match &ctx.cluster {
        Some(cluster) => Some(cluster.subscribe(id).await?),
        None => None,
    };
    let hub = load(ctx.store.as_ref(), id, workshop_doc).await?;
    let closed_at = ctx.store.activity(id).await?.and_then(|a| a.closed_at);
    let now = now_ms();
    ctx.store
        .write(WriteBatch {
            activity: vec![(
                id,
                Activity {
                    active_at: now,
                    closed_at,
                },
            )],
            ..WriteBatch::default()
        })
        .await?;
    let purge_grace_ms = i64::try_from(ctx.purge_grace.as_millis()).unwrap_or(i64::MAX);
    let (tx, rx) = mpsc::channel(COMMAND_QUEUE);
    let mut workshop = Workshop::new(id, hub, closed_at, purge_grace_ms, now);
    if ctx.cluster.is_some() {
        workshop = workshop.follower();
    }
    let task = WorkshopTask {
        workshop,
        store: ctx.store,
        metrics: ctx.metrics,
        connections: HashMap::new(),
        limits: ctx.limits,
        cluster: ctx.cluster.clone(),
        told_presence: None,
        doubt: false,
        encoder: Encoder::default(),
    };
    let span = tracing::info_span!("workshop", workshop = %id);
    let (idle, shutdown) = (ctx.idle, ctx.shutdown);
    if let Some(cluster) = ctx.cluster {
        ctx.tracker.spawn(
            lease_loop(
                cluster,
                Arc::clone(&task.metrics),
                id,
                tx.clone(),
                shutdown.clone(),
            )
            .instrument(span.clone()),
        );
    }
    ctx.tracker.spawn(
        async move {
            task.run(rx, feed, idle, shutdown).await;
            on_exit();
        }
        .instrument(span),
    );
    Ok(WorkshopHandle { id, commands: tx })
}

/// Takes and renews the workshop's lease while its task runs and tells the task whether it
/// holds it; gives it up when the task ends. A renewal that fails or takes longer than a third
/// of the lease's time counts as lost at once, so the task stops acting as holder well before
/// the lease expires for the others (see [`crate::cluster::lease`]).
async fn lease_loop(
    cluster: Arc<Cluster>,
    metrics: Arc<Metrics>,
    id: WorkshopId,
    commands: mpsc::Sender<Command>,
    shutdown: CancellationToken,
) {
    let name = format!("workshop:{id}");
    let every = cluster.lease_ttl / 3;
    let mut held = false;
    loop {
        let attempt = tokio::time::timeout(every, cluster.leases.hold(&name, cluster.lease_ttl));
        let now_held = match attempt.await {
            Ok(Ok(h)) => h,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "workshop lease not renewed");
                false
            }
            Err(_) => {
                tracing::warn!("workshop lease: the database took too long");
                false
            }
        };
        if now_held != held {
            if now_held {
                metrics.leases_held.inc();
            } else {
                metrics.leases_held.dec();
            }
        }
        let was = std::mem::replace(&mut held, now_held);
        if (now_held || was) && commands.send(Command::Lead(now_held)).await.is_err() {
            break;
        }
        tokio::select! {
            _ = commands.closed() => break,
            _ = shutdown.cancelled() => break,
            _ = tokio::time::sleep(every) => {}
        }
    }
    if held {
        metrics.leases_held.dec();
    }
    if let Err(e) = cluster.leases.release(&name).await {
        tracing::warn!(error = %e, "workshop lease not released (it expires)");
    }
}

/// The next thing another node said, or never when there are no other nodes.
async fn heard(feed: &mut Option<Feed>) -> Heard {
    match feed {
        Some(f) => f.next().await,
        None => std::future::pending().await,
    }
}

/// One connection's way out: its outbox and the bytes queued in it.
struct Connection {
    conn: u64,
    outbox: mpsc::Sender<Outgoing>,
    queued: Arc<AtomicUsize>,
}

/// Where the answer to one input goes.
enum Reply {
    None,
    /// A received frame, with when it was received: nobody waits for its answer, but its
    /// latency is measured.
    Received(Instant),
    Connect(oneshot::Sender<Result<(), String>>, PeerId, Connection),
    AddParticipant(oneshot::Sender<Result<NewParticipant, CommandError>>),
    UpdateParticipant(oneshot::Sender<Result<(), String>>),
    View(oneshot::Sender<workshop_schema::WorkshopView>),
    Timer(oneshot::Sender<Result<Timer, CommandError>>),
    Report(oneshot::Sender<report::Sources>),
    ShareReport(oneshot::Sender<Result<(), CommandError>>),
    Maintain(oneshot::Sender<()>),
    Retire(oneshot::Sender<bool>),
    /// Another node's write: a doubt it leaves makes the task read the store again.
    Replica,
}

/// Splits a command into the workshop's input and where its answer goes.
fn split(cmd: Command) -> (Input, Reply) {
    match cmd {
        Command::Connect {
            peer,
            conn,
            principal,
            outbox,
            queued,
            reply,
        } => (
            Input::Connect {
                peer: peer.clone(),
                conn,
                principal,
            },
            Reply::Connect(
                reply,
                peer,
                Connection {
                    conn,
                    outbox,
                    queued,
                },
            ),
        ),
        Command::Receive {
            peer,
            message,
            received,
        } => (Input::Receive { peer, message }, Reply::Received(received)),
        Command::Disconnect { peer, conn } => (Input::Disconnect { peer, conn }, Reply::None),
        Command::AddParticipant {
            name,
            organisation,
            reply,
        } => (
            Input::AddParticipant { name, organisation },
            Reply::AddParticipant(reply),
        ),
        Command::UpdateParticipant {
            participant,
            name,
            organisation,
            reply,
        } => (
            Input::UpdateParticipant {
                participant,
                name,
                organisation,
            },
            Reply::UpdateParticipant(reply),
        ),
        Command::View { reply } => (Input::View, Reply::View(reply)),
        Command::Timer { by, action, reply } => (Input::Timer { by, action }, Reply::Timer(reply)),
        Command::Report { reply } => (Input::Report, Reply::Report(reply)),
        Command::ShareReport { by, shared, reply } => {
            (Input::ShareReport { by, shared }, Reply::ShareReport(reply))
        }
        Command::Maintain { reply } => (Input::Maintain, Reply::Maintain(reply)),
        Command::Retire {
            force,
            idle_before,
            reply,
        } => (Input::Retire { force, idle_before }, Reply::Retire(reply)),
        Command::Lead(held) => (Input::Lead(held), Reply::None),
    }
}

/// A received frame being timed through its turn.
struct Traced {
    stamp: Stamp,
    caused: Caused,
    /// Whether at least one frame it caused was queued for another peer.
    queued: bool,
}

/// The workshop and the IO around it.
struct WorkshopTask {
    workshop: Workshop,
    store: Arc<dyn Store>,
    metrics: Arc<Metrics>,
    connections: HashMap<PeerId, Connection>,
    limits: crate::abuse::Limits,
    cluster: Option<Arc<Cluster>>,
    /// Who is connected here, as last told to the other nodes (repeated while not empty).
    told_presence: Option<kring_shared::presence::Presence>,
    /// What another node said may have been missed: the store is read again before the next
    /// turn.
    doubt: bool,
    /// Encodes every outgoing frame (it remembers each document id's text).
    encoder: Encoder,
}

/// Sleeps until `at`, or forever without one.
async fn sleep_until_instant(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Sleeps until `at` (ms since the epoch), or forever when there is nothing to wait for.
async fn sleep_until_ms(at: Option<i64>) {
    match at {
        Some(at) => {
            let ms = u64::try_from(at.saturating_sub(now_ms())).unwrap_or(0);
            tokio::time::sleep(Duration::from_millis(ms)).await
        }
        None => std::future::pending().await,
    }
}

impl WorkshopTask {
    async fn run(
        mut self,
        mut rx: mpsc::Receiver<Command>,
        mut feed: Option<Feed>,
        idle: Duration,
        shutdown: CancellationToken,
    ) {
        self.metrics.workshops_loaded.inc();
        tracing::info!(
            documents = self.workshop.hub.documents().count(),
            "workshop loaded"
        );
        let mut retired = None;
        // Since when nobody here used the workshop: no connection, no command from this node.
        // Another node's changes and this node's lease renewals do not keep it loaded.
        let mut quiet_since = tokio::time::Instant::now();
        let mut repeat = tokio::time::interval(Duration::from_millis(
            core::PRESENCE_REPEAT_MS.unsigned_abs(),
        ));
        repeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            if !self.connections.is_empty() {
                quiet_since = tokio::time::Instant::now();
            }
            let idle_at = self.connections.is_empty().then(|| quiet_since + idle);
            // Presence or progress that is due later wakes the loop by itself.
            let wake_at = self.workshop.wake_at(now_ms());
            let mut inputs = Vec::new();
            let mut replies = Vec::new();
            let next = tokio::select! {
                // Every finished turn is already durable, so stopping here loses nothing.
                _ = shutdown.cancelled() => break,
                next = rx.recv() => Some(Some(next)),
                _ = sleep_until_instant(idle_at) => Some(None),
                _ = sleep_until_ms(wake_at) => None,
                _ = repeat.tick(), if self.cluster.is_some() => {
                    // Who is here, again, so the other nodes keep counting them.
                    if let Some(cluster) = &self.cluster
                        && let Some(p) = self.told_presence.as_ref()
                    {
                        cluster.publish_presence(self.workshop.id, p).await;
                    }
                    continue;
                }
                heard = heard(&mut feed) => {
                    match heard {
                        Heard::Replica(r) => {
                            inputs.push(Input::Replica(r));
                            replies.push(Reply::Replica);
                        }
                        Heard::Ephemeral(r) => {
                            inputs.push(Input::RemoteEphemeral(r));
                            replies.push(Reply::None);
                        }
                        Heard::Presence { node, presence } => {
                            inputs.push(Input::RemotePresence { node, presence });
                            replies.push(Reply::None);
                        }
                        Heard::Deleted => {
                            tracing::info!("deleted on another node; stopping");
                            // Nobody waits for this answer: the receiver is dropped at once.
                            let (reply, _) = oneshot::channel();
                            inputs.push(Input::Retire { force: true, idle_before: 0 });
                            replies.push(Reply::Retire(reply));
                        }
                        Heard::Doubt { why, tell_others } => {
                            tracing::info!(%why, "reading the workshop from the store again");
                            self.doubt = true;
                            if tell_others && let Some(cluster) = &self.cluster {
                                cluster.publish_reread(self.workshop.id).await;
                            }
                        }
                    }
                    None
                }
            };
            let mut commands = Vec::new();
            match next {
                None => {}
                Some(Some(Some(c))) => {
                    if !matches!(c, Command::Lead(_)) {
                        quiet_since = tokio::time::Instant::now();
                    }
                    commands.push(c);
                }
                Some(Some(None)) => break,
                Some(None) => {
                    // Idle: close the channel, then serve what raced in before unloading.
                    rx.close();
                    match rx.recv().await {
                        Some(c) => commands.push(c),
                        None => break,
                    }
                }
            }
            // Take whatever else is already queued: one store write for all of it.
            while commands.len() < 257 {
                match rx.try_recv() {
                    Ok(c) => commands.push(c),
                    Err(_) => break,
                }
            }
            // Taking the lease (or a doubt): first everything the store holds, so nothing the
            // previous holder stored without telling is done twice.
            let gains_lease = !self.workshop.is_leader()
                && commands.iter().any(|c| matches!(c, Command::Lead(true)));
            if self.doubt || gains_lease {
                match self.reread().await {
                    Ok(replica) => {
                        self.doubt = false;
                        inputs.insert(0, Input::Replica(replica));
                        replies.insert(0, Reply::None);
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "could not read the workshop again; not taking the lease");
                        commands.retain(|c| !matches!(c, Command::Lead(true)));
                    }
                }
            }
            for (input, reply) in commands.into_iter().map(split) {
                inputs.push(input);
                replies.push(reply);
            }
            let turn = self.workshop.turn(inputs, now_ms());
            match self.finish(turn, replies).await {
                Ok(None) => {}
                Ok(Some(reply)) => {
                    retired = Some(reply);
                    break;
                }
                Err(()) => break,
            }
        }
        match retired {
            Some(done) => {
                // Nothing more is taken from the queue: a late command finds the channel closed.
                rx.close();
                let _ = done.send(true);
            }
            None => {
                let write = WriteBatch {
                    activity: vec![(self.workshop.id, self.workshop.activity())],
                    ..WriteBatch::default()
                };
                if let Err(e) = self.store.write(write).await {
                    tracing::warn!(error = %e, "could not record the workshop's last activity");
                }
            }
        }
        self.metrics.workshops_loaded.dec();
        tracing::info!("workshop unloaded");
    }

    /// Everything the store holds of this workshop, as a replica to merge (and the documents
    /// held here that the store no longer has, as purged).
    async fn reread(&self) -> Result<Replica, StoreError> {
        let stored = self.store.documents(self.workshop.id).await?;
        let mut replica = Replica::default();
        for d in stored {
            replica.documents.push((d.row.id, d.row.kind));
            replica
                .chunks
                .extend(d.chunks.into_iter().map(|c| (d.row.id, c)));
        }
        let ws_doc = self.workshop.hub.workshop_document();
        replica.purge = self
            .workshop
            .hub
            .documents()
            .map(|(id, _)| id)
            .filter(|id| *id != ws_doc && !replica.documents.iter().any(|(d, _)| d == id))
            .collect();
        Ok(replica)
    }

    /// Makes a turn durable, then answers and delivers. `Ok(Some(reply))`: the workshop retired
    /// and `reply` is to be told once the task has stopped; `Err`: the write failed and the task
    /// must stop.
    async fn finish(
        &mut self,
        turn: Turn,
        replies: Vec<Reply>,
    ) -> Result<Option<oneshot::Sender<bool>>, ()> {
        for r in &turn.refused {
            self.metrics.refusals.inc();
            tracing::warn!(peer = %r.peer, document = ?r.document_id.map(|d| d.to_string()), reason = %r.reason, "refused");
        }
        let replica = self
            .cluster
            .as_ref()
            .and_then(|_| crate::cluster::codec::encode_replica(&turn.write));
        let purges = !turn.write.purge.is_empty();
        // Who is connected changed in this turn (or since the last one).
        let peers_changed = turn.local_presence.is_some();
        if let Some(p) = &turn.local_presence {
            // Nobody here: nothing to repeat once the others were told.
            self.told_presence =
                (*p != kring_shared::presence::Presence::default()).then(|| p.clone());
        }
        if let Err(e) = self.store.write(turn.write).await {
            // Nothing of this turn is durable: advertise none of it. Drop every connection and
            // unload, so clients resync from what is on disk (they still hold their edits).
            // With several nodes the write may have failed because another node deleted the
            // workshop just now: then say that, as the deletion's own message would.
            let deleted = self.cluster.is_some()
                && matches!(self.store.workshop(self.workshop.id).await, Ok(None));
            let reason = if deleted {
                tracing::info!("the workshop was deleted on another node; unloading");
                "this workshop has been deleted"
            } else {
                tracing::error!(error = %e, "storage write failed; unloading workshop");
                "server storage error; reconnect"
            };
            for c in self.connections.values() {
                let _ = c.outbox.try_send(Outgoing::Close(reason.into()));
            }
            return Err(());
        }
        if purges {
            self.metrics.purges.inc();
        }
        // Durable: now the other nodes hear of it, before any peer here does (a change a peer
        // saw acknowledged is then in JetStream too, and reaches the other nodes even if this
        // one dies now).
        if let Some(cluster) = &self.cluster {
            if let Some(replica) = replica {
                cluster.publish(self.workshop.id, replica).await;
            }
            cluster.relay(self.workshop.id, &turn.relay).await;
            if let Some(p) = &turn.local_presence {
                cluster.publish_presence(self.workshop.id, p).await;
            }
        }
        for (peer, reason) in turn.close {
            if let Some(c) = self.connections.remove(&peer) {
                let _ = c.outbox.try_send(Outgoing::Close(reason));
            }
        }
        let committed = Instant::now();
        let mut retired = None;
        let mut traced = Vec::new();
        for (reply, answer) in replies.into_iter().zip(turn.answers) {
            // A caller that gave up waiting is nobody to tell: send errors are ignored.
            match (reply, answer) {
                (Reply::Connect(reply, peer, connection), Answer::Connect(result)) => {
                    if result.is_ok() {
                        self.attach(peer, connection, turn.retire);
                    }
                    let _ = reply.send(result);
                }
                (Reply::AddParticipant(reply), Answer::AddParticipant(r)) => {
                    let _ = reply.send(r);
                }
                (Reply::UpdateParticipant(reply), Answer::UpdateParticipant(r)) => {
                    let _ = reply.send(r);
                }
                (Reply::View(reply), Answer::View(v)) => {
                    let _ = reply.send(*v);
                }
                (Reply::Timer(reply), Answer::Timer(r)) => {
                    let _ = reply.send(r);
                }
                (Reply::Report(reply), Answer::Report(s)) => {
                    let _ = reply.send(*s);
                }
                (Reply::ShareReport(reply), Answer::ShareReport(r)) => {
                    let _ = reply.send(r);
                }
                (Reply::Maintain(reply), Answer::Maintain) => {
                    let _ = reply.send(());
                }
                (Reply::Retire(reply), Answer::Retire(true)) => retired = Some(reply),
                (Reply::Retire(reply), Answer::Retire(false)) => {
                    let _ = reply.send(false);
                }
                (Reply::Received(received), Answer::Receive(Some(caused))) => {
                    let stamp = Stamp {
                        received,
                        labels: caused.labels,
                    };
                    self.metrics.observe(Stage::Persisted, &stamp, committed);
                    traced.push(Traced {
                        stamp,
                        caused,
                        queued: false,
                    });
                }
                (Reply::Replica, Answer::Replica { doubt }) => self.doubt |= doubt,
                (Reply::None | Reply::Received(_), _) => {}
                (_, answer) => {
                    tracing::error!(?answer, "an answer that does not fit its command");
                }
            }
        }
        self.deliver(turn.send, &mut traced);
        // Outboxes of connections that ended (a `Disconnect` in this turn) go too: without
        // this a workshop anyone ever connected to stayed loaded for good. Only in a turn in
        // which who is connected changed: a walk over every connection per turn was a tenth of
        // the plenary's server CPU.
        if peers_changed {
            let workshop = &self.workshop;
            self.connections
                .retain(|peer, c| workshop.is_connected(peer, c.conn));
        }
        Ok(retired)
    }

    /// Keeps a new connection's outbox; an older connection of the same peer is told it was
    /// replaced. In a turn that retires the workshop, the new one is closed at once.
    fn attach(&mut self, peer: PeerId, connection: Connection, retiring: bool) {
        if !self.workshop.is_connected(&peer, connection.conn) {
            // Gone again in the same turn: disconnected, replaced, or the workshop retired.
            let reason = if retiring {
                "this workshop has been deleted"
            } else {
                "replaced by a newer connection"
            };
            let _ = connection.outbox.try_send(Outgoing::Close(reason.into()));
            return;
        }
        if let Some(old) = self.connections.insert(peer, connection) {
            let _ = old
                .outbox
                .try_send(Outgoing::Close("replaced by a newer connection".into()));
        }
    }

    /// Queues each message in its peer's outbox; the frames a timed frame caused carry its
    /// stamp, and once all are queued each such frame's queueing latency is observed.
    fn deliver(&mut self, sends: Vec<(PeerId, Message)>, traced: &mut [Traced]) {
        let mut too_slow = Vec::new();
        // `traced` is in input order and its ranges are in send order: one cursor walks both.
        let mut cursor = 0;
        for (i, (peer, msg)) in sends.into_iter().enumerate() {
            while traced.get(cursor).is_some_and(|t| t.caused.sends.end <= i) {
                cursor += 1;
            }
            let cause = traced
                .get_mut(cursor)
                .filter(|t| t.caused.sends.contains(&i) && t.caused.origin != peer);
            let Some(conn) = self.connections.get(&peer) else {
                continue;
            };
            let mut bytes = self.encoder.encode(&msg);
            if bytes.len() > MAX_FRAME_BYTES {
                // Never more than the protocol allows a client to send us: the peer is told
                // why instead (the document budgets make this rare).
                self.metrics.refusals.inc();
                tracing::warn!(%peer, bytes = bytes.len(), "outgoing message over the frame limit; not sent");
                bytes = Message::Error {
                    sender_id: Some(self.workshop.hub.peer_id().clone()),
                    target_id: Some(peer.clone()),
                    message: format!(
                        "a message of {} bytes for you is over the frame limit of \
                         {MAX_FRAME_BYTES}; it was not sent",
                        bytes.len()
                    ),
                    document_id: None,
                }
                .encode();
            }
            let len = bytes.len();
            let queued = conn.queued.load(Ordering::Relaxed);
            if queued + len > self.limits.outbox_bytes {
                too_slow.push(peer);
                continue;
            }
            self.metrics.messages_out.inc();
            let stamp = cause.as_ref().map(|t| t.stamp);
            let frame = Outgoing::Frame {
                bytes: Bytes::from(bytes),
                stamp,
            };
            match conn.outbox.try_send(frame) {
                Ok(()) => {
                    conn.queued.fetch_add(len, Ordering::Relaxed);
                    if let Some(t) = cause {
                        t.queued = true;
                    }
                }
                Err(mpsc::error::TrySendError::Full(_)) => too_slow.push(peer),
                // The connection is already gone; its Disconnect command is on its way.
                Err(mpsc::error::TrySendError::Closed(_)) => {}
            }
        }
        let now = Instant::now();
        for t in traced.iter().filter(|t| t.queued) {
            self.metrics.observe(Stage::Queued, &t.stamp, now);
        }
        // The workshop's budget: while all its connections together hold too much, the one
        // furthest behind goes first.
        let mut total: usize = self
            .connections
            .values()
            .map(|c| c.queued.load(Ordering::Relaxed))
            .sum();
        while total > self.limits.workshop_outbox_bytes {
            let Some((peer, bytes)) = self
                .connections
                .iter()
                .filter(|(p, _)| !too_slow.contains(p))
                .map(|(p, c)| (p.clone(), c.queued.load(Ordering::Relaxed)))
                .max_by_key(|(_, b)| *b)
            else {
                break;
            };
            total = total.saturating_sub(bytes);
            too_slow.push(peer);
        }
        too_slow.sort();
        too_slow.dedup();
        for peer in too_slow {
            let Some(conn) = self.connections.remove(&peer) else {
                continue;
            };
            tracing::warn!(%peer, "peer too slow to keep up; disconnecting");
            self.metrics.slow_consumers.inc();
            // Dropping the outbox ends the connection's send loop, which closes the socket
            // (with 1008 "too slow").
            drop(conn);
            self.workshop.drop_peer(&peer);
        }
    }
}
