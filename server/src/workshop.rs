//! One task per active workshop. It owns the workshop's [`Hub`] (documents, peers, sync states)
//! and is the only writer of its documents; connections and HTTP handlers talk to it through a
//! bounded channel of [`Command`]s.
//!
//! Each turn of the loop takes every command already queued, applies them to the hub, makes the
//! resulting chunks durable in one store write, and only then delivers the messages: no peer ever
//! hears of heads that are not on disk.
//!
//! Retention lives here too, because only this task writes the workshop's documents: at the end
//! of every turn, once the workshop has been closed for the grace period, the task keeps step 1's
//! anonymous counts in the workshop document, forgets every reflection document and has the store
//! delete them in the same write. A facilitator's deletion and the idle sweep stop the task
//! ([`Command::Retire`]) before the registry deletes the workshop from the store.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use automerge::Automerge;
use kring_shared::access::{DocKind, Principal, Role, access};
use kring_shared::engine::hub::{Effects, Hub};
use kring_shared::forms::blocks::Profile;
use kring_shared::forms::roles::Balance;
use kring_shared::forms::{FormId, StepKind};
use kring_shared::ids::{DocumentId, ParticipantId, PeerId, WorkshopId};
use kring_shared::limits::MAX_FRAME_BYTES;
use kring_shared::presence::Presence;
use kring_shared::progress::{Counts, Progress};
use kring_shared::protocol::Message;
use kring_shared::report::{self, Step1Counts};
use kring_shared::schema::{
    duo as duo_schema, rating as rating_schema, reflection, role_sheet, table as table_schema,
    voice as voice_schema, workshop as workshop_schema,
};
use kring_shared::step::Step;
use kring_shared::timer::{Timer, TimerAction};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

use crate::auth;
use crate::metrics::Metrics;
use crate::store::{Activity, DocumentRow, Store, StoreError, TokenRow, WriteBatch};

/// Commands queued for one workshop task. Bounded: a flood of messages makes senders wait.
pub const COMMAND_QUEUE: usize = 1024;
/// Presence and progress go out at most this often: when n peers come and go (or write), each
/// peer gets a few such messages per second instead of one per arrival. Presence lists every
/// peer, so with many peers it is spaced further (`PRESENCE_PER_PEER` each), keeping its bytes
/// per second linear in the number of peers.
const EPHEMERAL_EVERY: Duration = Duration::from_millis(250);
const PRESENCE_PER_PEER: Duration = Duration::from_millis(5);

/// Something owed to peers that is sent at most once per interval.
#[derive(Default)]
struct Throttle {
    owed: bool,
    sent: Option<tokio::time::Instant>,
}

impl Throttle {
    /// When it is due, if owed.
    fn due_at(&self, every: Duration) -> Option<tokio::time::Instant> {
        if !self.owed {
            return None;
        }
        Some(
            self.sent
                .map_or_else(tokio::time::Instant::now, |t| t + every),
        )
    }

    /// Whether to send it now (and then it counts as sent).
    fn take(&mut self, now: tokio::time::Instant, every: Duration) -> bool {
        if self.owed && self.sent.is_none_or(|t| now >= t + every) {
            self.owed = false;
            self.sent = Some(now);
            true
        } else {
            false
        }
    }
}
/// Peer ids remembered per workshop (with their owners) before those not connected are forgotten.
const MAX_PEER_OWNERS: usize = 4_096;
/// Appended chunks after which a document is compacted into one snapshot.
const COMPACT_AFTER: usize = 256;

/// What a connection receives from its workshop.
#[derive(Debug)]
pub enum Outgoing {
    Frame(Arc<Vec<u8>>),
    /// The workshop closes this connection, with a reason for the peer.
    Close(String),
}

pub enum Command {
    Connect {
        peer: PeerId,
        /// Unique per WebSocket connection, so that a late `Disconnect` of a replaced
        /// connection cannot remove the connection that replaced it (same peer id).
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
    },
    Disconnect {
        peer: PeerId,
        conn: u64,
    },
    AddParticipant {
        name: String,
        organisation: String,
        now_ms: i64,
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
        now_ms: i64,
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
    /// Stops the task so the workshop can be deleted: always when `force` (a facilitator deletes
    /// it), otherwise only when nobody is connected and nothing happened since `idle_before`
    /// (ms). Answers `true` once the task has stopped for good, `false` when it stays.
    Retire {
        force: bool,
        idle_before: i64,
        reply: oneshot::Sender<bool>,
    },
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

struct Connection {
    conn: u64,
    outbox: mpsc::Sender<Outgoing>,
    queued: Arc<AtomicUsize>,
    principal: Principal,
}

struct WorkshopTask {
    id: WorkshopId,
    hub: Hub,
    store: Arc<dyn Store>,
    metrics: Arc<Metrics>,
    connections: HashMap<PeerId, Connection>,
    limits: crate::abuse::Limits,
    /// Which principal first used each peer id, for as long as the task lives: a peer id is
    /// that principal's, so nobody else can take it over while its owner is away.
    peer_owners: HashMap<PeerId, Principal>,
    appended: HashMap<DocumentId, usize>,
    /// When the workshop moved to `closed` (ms), as stored.
    closed_at: Option<i64>,
    /// How long after closing the reflections are purged.
    purge_grace_ms: i64,
    /// When a command last came in (ms).
    last_activity: i64,
    /// Set when the task retires: answered once it has stopped.
    retire: Option<oneshot::Sender<bool>>,
    /// Someone connected or left: presence is owed (a reconnect storm of n peers would
    /// otherwise send n² messages).
    presence: Throttle,
    /// A reflection changed: step-1 counts are owed to the facilitators.
    progress: Throttle,
    /// Note counts per reflection document, so a turn recounts only what changed.
    counts: HashMap<DocumentId, Counts>,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Sleeps until `at`, or forever when there is nothing to wait for.
async fn sleep_until_some(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
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
}

/// Loads a workshop's documents and starts its task. The task ends when it has had no
/// connection for `ctx.idle` (or the server shuts down) and then calls `on_exit`.
pub async fn start(
    id: WorkshopId,
    workshop_doc: DocumentId,
    ctx: TaskContext,
    on_exit: impl FnOnce() + Send + 'static,
) -> Result<WorkshopHandle, StoreError> {
    let stored = ctx.store.documents(id).await?;
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
    let (tx, rx) = mpsc::channel(COMMAND_QUEUE);
    let task = WorkshopTask {
        id,
        hub,
        store: ctx.store,
        metrics: ctx.metrics,
        connections: HashMap::new(),
        peer_owners: HashMap::new(),
        limits: ctx.limits,
        appended: HashMap::new(),
        closed_at,
        purge_grace_ms: i64::try_from(ctx.purge_grace.as_millis()).unwrap_or(i64::MAX),
        last_activity: now,
        retire: None,
        presence: Throttle::default(),
        progress: Throttle::default(),
        counts: HashMap::new(),
    };
    let span = tracing::info_span!("workshop", workshop = %id);
    let (idle, shutdown) = (ctx.idle, ctx.shutdown);
    ctx.tracker.spawn(
        async move {
            task.run(rx, idle, shutdown).await;
            on_exit();
        }
        .instrument(span),
    );
    Ok(WorkshopHandle { id, commands: tx })
}

impl WorkshopTask {
    async fn run(
        mut self,
        mut rx: mpsc::Receiver<Command>,
        idle: Duration,
        shutdown: CancellationToken,
    ) {
        self.metrics.workshops_loaded.inc();
        tracing::info!(documents = self.hub.documents().count(), "workshop loaded");
        let mut first_turn = true;
        loop {
            let idle_for = if self.connections.is_empty() {
                idle
            } else {
                Duration::MAX
            };
            // Presence or progress that is due later wakes the loop by itself.
            let presence_every = self.presence_every();
            let presence_at = [
                self.presence.due_at(presence_every),
                self.progress.due_at(EPHEMERAL_EVERY),
            ]
            .into_iter()
            .flatten()
            .min();
            let next = tokio::select! {
                // Every finished turn is already durable, so stopping here loses nothing.
                _ = shutdown.cancelled() => break,
                next = tokio::time::timeout(idle_for, rx.recv()) => Some(next),
                _ = sleep_until_some(presence_at) => None,
            };
            let first = match next {
                None => None,
                Some(Ok(Some(c))) => Some(c),
                Some(Ok(None)) => break,
                Some(Err(_)) => {
                    // Idle: close the channel, then serve what raced in before unloading.
                    rx.close();
                    match rx.recv().await {
                        Some(c) => Some(c),
                        None => break,
                    }
                }
            };
            let mut fx = Effects::default();
            let mut batch = WriteBatch::default();
            let mut replies: Vec<Box<dyn FnOnce() + Send>> = Vec::new();
            if let Some(first) = first {
                self.handle(first, &mut fx, &mut batch, &mut replies);
            }
            // Take whatever else is already queued: one store write for all of it.
            for _ in 0..256 {
                match rx.try_recv() {
                    Ok(c) => self.handle(c, &mut fx, &mut batch, &mut replies),
                    Err(_) => break,
                }
            }
            let now = tokio::time::Instant::now();
            if self.presence.take(now, self.presence_every()) {
                let presence = self.presence();
                fx.merge(presence);
            }
            // The documents follow the workshop document (duos, roster, table): look when it
            // changed and on the first turn after loading (reading it is a full view, too dear
            // for every turn of a busy workshop).
            let ws_doc = self.hub.workshop_document();
            let ws_changed = fx.persist.iter().any(|(d, _)| *d == ws_doc);
            let ratings_changed = fx.persist.iter().any(|(d, _)| self.is_rating(d));
            let sheets_changed = fx.persist.iter().any(|(d, _)| self.is_role_sheet(d));
            if std::mem::take(&mut first_turn) || ws_changed {
                self.open_documents(&mut fx, &mut batch);
            }
            if ratings_changed || ws_changed {
                self.update_profile(&mut fx);
            }
            if sheets_changed || ws_changed {
                self.update_roles(&mut fx);
            }
            self.retention(now_ms(), &mut fx, &mut batch);
            self.log_refusals(&fx);
            let changed: Vec<DocumentId> = fx
                .persist
                .iter()
                .map(|(d, _)| *d)
                .filter(|d| self.is_reflection(d))
                .collect();
            for d in &changed {
                self.counts.remove(d);
                self.progress.owed = true;
            }
            if self.progress.take(now, EPHEMERAL_EVERY) {
                let progress = self.progress();
                fx.merge(progress);
            }
            batch.chunks.extend(std::mem::take(&mut fx.persist));
            self.add_compactions(&mut batch);
            if let Err(e) = self.store.write(batch).await {
                // Nothing of this turn is durable: advertise none of it. Drop every connection
                // and unload, so clients resync from what is on disk (they still hold their edits).
                tracing::error!(error = %e, "storage write failed; unloading workshop");
                for c in self.connections.values() {
                    let _ = c
                        .outbox
                        .try_send(Outgoing::Close("server storage error; reconnect".into()));
                }
                break;
            }
            for reply in replies {
                reply();
            }
            self.deliver(fx.send);
            if self.retire.is_some() {
                break;
            }
        }
        match self.retire.take() {
            Some(done) => {
                // Nothing more is taken from the queue: a late command finds the channel closed.
                rx.close();
                let _ = done.send(true);
            }
            None => {
                let activity = Activity {
                    active_at: self.last_activity,
                    closed_at: self.closed_at,
                };
                let write = WriteBatch {
                    activity: vec![(self.id, activity)],
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

    fn handle(
        &mut self,
        cmd: Command,
        fx: &mut Effects,
        batch: &mut WriteBatch,
        replies: &mut Vec<Box<dyn FnOnce() + Send>>,
    ) {
        if !matches!(cmd, Command::Maintain { .. } | Command::Retire { .. }) {
            self.last_activity = now_ms();
        }
        match cmd {
            Command::Connect {
                peer,
                conn,
                principal,
                outbox,
                queued,
                reply,
            } => {
                let result = self.claim_peer_id(&peer, principal);
                if result.is_ok() {
                    if let Some(old) = self.connections.insert(
                        peer.clone(),
                        Connection {
                            conn,
                            outbox,
                            queued,
                            principal,
                        },
                    ) {
                        let _ = old
                            .outbox
                            .try_send(Outgoing::Close("replaced by a newer connection".into()));
                    }
                    self.hub.connect(peer.clone(), principal);
                    tracing::info!(%peer, role = ?principal.role, "peer connected");
                    self.presence.owed = true;
                    if principal.role == Role::Facilitator {
                        fx.merge(self.progress());
                    }
                }
                // The caller waits for this reply; if it gave up, there is nobody to tell.
                replies.push(Box::new(move || {
                    let _ = reply.send(result);
                }));
            }
            Command::Receive { peer, message } => {
                if self.connections.contains_key(&peer) {
                    fx.merge(self.hub.receive(&peer, message));
                }
            }
            Command::Disconnect { peer, conn } => {
                // Only the connection that ends: a newer one with the same peer id stays.
                if self.connections.get(&peer).is_some_and(|c| c.conn == conn) {
                    self.connections.remove(&peer);
                    self.hub.disconnect(&peer);
                    tracing::info!(%peer, "peer disconnected");
                    self.presence.owed = true;
                }
            }
            Command::View { reply } => {
                let doc = self.hub.workshop_document();
                let view = self
                    .hub
                    .document(&doc)
                    .map(workshop_schema::view)
                    .unwrap_or_default();
                replies.push(Box::new(move || {
                    let _ = reply.send(view);
                }));
            }
            Command::UpdateParticipant {
                participant,
                name,
                organisation,
                reply,
            } => {
                let result = self.update_participant(participant, name, organisation, fx);
                replies.push(Box::new(move || {
                    let _ = reply.send(result);
                }));
            }
            Command::Timer {
                by,
                action,
                now_ms,
                reply,
            } => {
                let result = self.timer(by, action, now_ms, fx);
                replies.push(Box::new(move || {
                    let _ = reply.send(result);
                }));
            }
            Command::Report { reply } => {
                let sources = self.report_sources();
                replies.push(Box::new(move || {
                    let _ = reply.send(sources);
                }));
            }
            Command::ShareReport { by, shared, reply } => {
                let result = self.share_report(by, shared, fx);
                replies.push(Box::new(move || {
                    let _ = reply.send(result);
                }));
            }
            Command::Maintain { reply } => {
                replies.push(Box::new(move || {
                    let _ = reply.send(());
                }));
            }
            Command::Retire {
                force,
                idle_before,
                reply,
            } => {
                let idle = self.connections.is_empty() && self.last_activity < idle_before;
                if force || idle {
                    for (peer, c) in self.connections.drain() {
                        let _ = c
                            .outbox
                            .try_send(Outgoing::Close("this workshop has been deleted".into()));
                        self.hub.disconnect(&peer);
                    }
                    tracing::info!(force, "workshop retires for deletion");
                    self.retire = Some(reply);
                } else {
                    replies.push(Box::new(move || {
                        let _ = reply.send(false);
                    }));
                }
            }
            Command::AddParticipant {
                name,
                organisation,
                now_ms,
                reply,
            } => {
                let result = self.add_participant(name, organisation, now_ms, fx, batch);
                replies.push(Box::new(move || {
                    let _ = reply.send(result);
                }));
            }
        }
    }

    /// Binds `peer` to `principal` for the life of the task, or says whose it is. The same
    /// principal may always come back with its peer id (and replaces its stale connection).
    fn claim_peer_id(&mut self, peer: &PeerId, principal: Principal) -> Result<(), String> {
        if let Some(owner) = self.peer_owners.get(peer) {
            return if *owner == principal {
                Ok(())
            } else {
                Err(format!(
                    "peer id {peer} belongs to someone else; pick another"
                ))
            };
        }
        if self.peer_owners.len() >= MAX_PEER_OWNERS {
            // Forget ids nobody is connected with; a workshop has far fewer live peers.
            let connections = &self.connections;
            self.peer_owners.retain(|p, _| connections.contains_key(p));
        }
        self.peer_owners.insert(peer.clone(), principal);
        Ok(())
    }

    fn add_participant(
        &mut self,
        name: String,
        organisation: String,
        now_ms: i64,
        fx: &mut Effects,
        batch: &mut WriteBatch,
    ) -> Result<NewParticipant, CommandError> {
        let workshop_doc = self.hub.workshop_document();
        let present = self
            .hub
            .document(&workshop_doc)
            .map(workshop_schema::roster_len)
            .unwrap_or(0);
        // The same limit as the schema's, checked first: a refusal here changes nothing, and
        // the roster can never hold more than the schema allows (which would refuse every
        // later facilitator change to the workshop).
        if present >= workshop_schema::MAX_ROSTER {
            return Err(CommandError::Conflict(format!(
                "this workshop is full: it has {present} participants, at most {} can join",
                workshop_schema::MAX_ROSTER
            )));
        }
        let participant_id = ParticipantId::random();
        let reflection_doc = DocumentId::random();
        let kind = DocKind::Reflection {
            owner: participant_id,
        };
        let entry = workshop_schema::RosterEntry {
            id: participant_id,
            name,
            organisation,
            joined_at: now_ms,
            reflection: Some(reflection_doc),
            voice: None,
            rating: None,
            role_sheet: None,
        };
        // The roster entry first: if the schema refuses it, no reflection is left behind.
        let (_, roster_fx) = self
            .hub
            .change(workshop_doc, |tx| {
                workshop_schema::put_roster_entry(tx, &entry)
            })
            .map_err(|e| CommandError::Failed(e.to_string()))?;
        fx.merge(roster_fx);
        let created = self
            .hub
            .create_document(reflection_doc, kind, |tx| {
                reflection::init(tx, participant_id)
            })
            .map_err(|e| CommandError::Failed(e.to_string()))?;
        fx.merge(created);
        let token = auth::new_token();
        batch.documents.push(DocumentRow {
            id: reflection_doc,
            workshop_id: self.id,
            kind,
        });
        batch.tokens.push(TokenRow {
            hash: auth::token_hash(&token),
            workshop_id: self.id,
            role: Role::Participant,
            participant: Some(participant_id),
            facilitator: None,
        });
        tracing::info!(participant = %participant_id, "participant joined");
        Ok(NewParticipant {
            participant_id,
            token,
            reflection_doc,
        })
    }

    /// The documents a report is made of, each checked to be of the kind its role needs (the
    /// workshop document is the facilitators' to write; it cannot point the report elsewhere).
    fn report_sources(&self) -> report::Sources {
        let hub = &self.hub;
        let ws_doc = hub.workshop_document();
        let workshop = hub
            .document(&ws_doc)
            .map(workshop_schema::view)
            .unwrap_or_default();
        let doc_of = |id: Option<DocumentId>, kind: DocKind| {
            id.filter(|d| hub.document_kind(d) == Some(kind))
                .and_then(|d| hub.document(&d))
        };
        let duos = workshop
            .duos
            .iter()
            .filter_map(|d| {
                let doc = doc_of(d.doc, DocKind::Duo { duo: d.id })?;
                Some((d.id, duo_schema::view(doc)))
            })
            .collect();
        let voices = workshop
            .roster
            .iter()
            .filter_map(|r| {
                let doc = doc_of(r.voice, DocKind::Voice { owner: r.id })?;
                Some((r.id, voice_schema::view(doc)))
            })
            .collect();
        let table = doc_of(workshop.table, DocKind::Table)
            .map(table_schema::view)
            .unwrap_or_default();
        let step1 = workshop.step1.unwrap_or_else(|| self.step1_counts());
        report::Sources {
            workshop,
            created_at_ms: 0,
            duos,
            table,
            voices,
            step1,
        }
    }

    /// Step 1 as anonymous counts over every reflection held now.
    fn step1_counts(&self) -> Step1Counts {
        let mut s = Step1Counts::default();
        for (id, kind) in self.hub.documents() {
            let (DocKind::Reflection { .. }, Some(doc)) = (kind, self.hub.document(&id)) else {
                continue;
            };
            let notes = reflection::notes(doc);
            s.people += u32::from(!notes.is_empty());
            for note in &notes {
                s.count_note(&note.ring, &note.mark);
            }
        }
        s
    }

    fn share_report(
        &mut self,
        by: Principal,
        shared: bool,
        fx: &mut Effects,
    ) -> Result<(), CommandError> {
        if !access(&by, &DocKind::Workshop, self.hub.context()).can_write() {
            return Err(CommandError::Forbidden(
                "only the facilitator who locked the console can steer now".into(),
            ));
        }
        let doc = self.hub.workshop_document();
        let (_, more) = self
            .hub
            .change(doc, |tx| workshop_schema::set_report_shared(tx, shared))
            .map_err(|e| CommandError::Failed(e.to_string()))?;
        fx.merge(more);
        Ok(())
    }

    /// Notes when the workshop closes (or reopens), and once it has been closed for the grace
    /// period purges every reflection: the counts of step 1 are kept in the workshop document,
    /// the documents leave the hub, and the store deletes them in this turn's write.
    fn retention(&mut self, now: i64, fx: &mut Effects, batch: &mut WriteBatch) {
        let closed = self.hub.step() == Step::Closed;
        match (closed, self.closed_at) {
            (true, None) => self.closed_at = Some(now),
            (false, Some(_)) => self.closed_at = None,
            _ => return self.purge_if_due(now, fx, batch),
        }
        batch.activity.push((
            self.id,
            Activity {
                active_at: self.last_activity,
                closed_at: self.closed_at,
            },
        ));
        self.purge_if_due(now, fx, batch);
    }

    fn purge_if_due(&mut self, now: i64, fx: &mut Effects, batch: &mut WriteBatch) {
        let Some(closed_at) = self.closed_at else {
            return;
        };
        if now < closed_at.saturating_add(self.purge_grace_ms) {
            return;
        }
        // 004's ratings and 003's role sheets (points, unpublished claims) go with the
        // reflections: the profile, the balance and the published role map stay in the workshop
        // document.
        let reflections: Vec<DocumentId> = self
            .hub
            .documents()
            .filter(|(_, k)| {
                matches!(
                    k,
                    DocKind::Reflection { .. } | DocKind::Rating { .. } | DocKind::RoleSheet { .. }
                )
            })
            .map(|(id, _)| id)
            .collect();
        if reflections.is_empty() {
            return;
        }
        let mut counts = self.step1_counts();
        let ws_doc = self.hub.workshop_document();
        if let Some(before) = self
            .hub
            .document(&ws_doc)
            .and_then(|d| workshop_schema::view(d).step1)
        {
            // Reopened and closed again: add to what the first purge kept.
            counts = counts.plus(&before);
        }
        match self
            .hub
            .change(ws_doc, |tx| workshop_schema::set_step1(tx, &counts))
        {
            Ok((_, more)) => fx.merge(more),
            Err(e) => {
                // Better to keep the notes a while longer than to lose the counts: try next turn.
                tracing::error!(error = %e, "could not keep step 1's counts; purge postponed");
                return;
            }
        }
        for id in &reflections {
            fx.merge(self.hub.remove_document(id));
            self.appended.remove(id);
        }
        tracing::info!(
            documents = reflections.len(),
            "reflections purged after closing"
        );
        batch.purge.extend(reflections);
    }

    fn update_participant(
        &mut self,
        participant: ParticipantId,
        name: String,
        organisation: String,
        fx: &mut Effects,
    ) -> Result<(), String> {
        let doc = self.hub.workshop_document();
        let current = self
            .hub
            .document(&doc)
            .map(workshop_schema::view)
            .and_then(|v| v.roster.into_iter().find(|r| r.id == participant))
            .ok_or_else(|| "not on the roster".to_owned())?;
        let entry = workshop_schema::RosterEntry {
            name,
            organisation,
            ..current
        };
        let (_, more) = self
            .hub
            .change(doc, |tx| workshop_schema::put_roster_entry(tx, &entry))
            .map_err(|e| e.to_string())?;
        fx.merge(more);
        Ok(())
    }

    fn timer(
        &mut self,
        by: Principal,
        action: TimerAction,
        now_ms: i64,
        fx: &mut Effects,
    ) -> Result<Timer, CommandError> {
        let doc = self.hub.workshop_document();
        if !access(&by, &DocKind::Workshop, self.hub.context()).can_write() {
            return Err(CommandError::Forbidden(
                "only the facilitator who locked the console can steer now".into(),
            ));
        }
        let before = self
            .hub
            .document(&doc)
            .map(|d| workshop_schema::view(d).timer)
            .unwrap_or_default();
        let after = before.apply(action, now_ms);
        let (_, more) = self
            .hub
            .change(doc, |tx| workshop_schema::write_timer(tx, &after))
            .map_err(|e| CommandError::Failed(e.to_string()))?;
        fx.merge(more);
        Ok(after)
    }

    /// Creates every document the workshop document names by role but lacks — each duo's room,
    /// the plenary table, each participant's voice — and records its id in the workshop document.
    /// Ids are always chosen here, so no client can point a role at a document of its choosing.
    fn open_documents(&mut self, fx: &mut Effects, batch: &mut WriteBatch) {
        let ws_doc = self.hub.workshop_document();
        let Some(view) = self.hub.document(&ws_doc).map(workshop_schema::view) else {
            return;
        };
        let has = |hub: &Hub, doc: Option<DocumentId>, kind: DocKind| {
            doc.is_some_and(|d| hub.document_kind(&d) == Some(kind))
        };
        for entry in view.duos {
            let kind = DocKind::Duo { duo: entry.id };
            if !has(&self.hub, entry.doc, kind) {
                self.open_document(
                    kind,
                    fx,
                    batch,
                    |tx| duo_schema::init(tx, entry.id),
                    |tx, doc| workshop_schema::set_duo_doc(tx, entry.id, doc),
                );
            }
        }
        if !has(&self.hub, view.table, DocKind::Table) {
            self.open_document(
                DocKind::Table,
                fx,
                batch,
                |tx| table_schema::init(tx),
                |tx, doc| workshop_schema::set_table_doc(tx, doc),
            );
        }
        // The rating sheet's schema is 004's blocks; another rating form brings its own kind.
        let rates = view.form.id == FormId::BuildingBlocks
            && view
                .form
                .form()
                .step_has(Step::Reflect, StepKind::RatingScale);
        // 003's role sheet: the points over the perspectives and the claims on roles.
        let claims = view
            .form
            .form()
            .step_has(Step::Reflect, StepKind::RoleClaims);
        for entry in view.roster {
            let sheet = DocKind::RoleSheet { owner: entry.id };
            if claims && view.step != Some(Step::Closed) && !has(&self.hub, entry.role_sheet, sheet)
            {
                self.open_document(
                    sheet,
                    fx,
                    batch,
                    |tx| role_sheet::init(tx, entry.id),
                    |tx, doc| workshop_schema::set_role_sheet_doc(tx, entry.id, doc),
                );
            }
            let rating = DocKind::Rating { owner: entry.id };
            // Never re-created after closing: the purge removed them for good.
            if rates && view.step != Some(Step::Closed) && !has(&self.hub, entry.rating, rating) {
                self.open_document(
                    rating,
                    fx,
                    batch,
                    |tx| rating_schema::init(tx, entry.id),
                    |tx, doc| workshop_schema::set_rating_doc(tx, entry.id, doc),
                );
            }
            let kind = DocKind::Voice { owner: entry.id };
            if !has(&self.hub, entry.voice, kind) {
                self.open_document(
                    kind,
                    fx,
                    batch,
                    |tx| voice_schema::init(tx, entry.id),
                    |tx, doc| workshop_schema::set_voice_doc(tx, entry.id, doc),
                );
            }
        }
    }

    /// Creates one document of `kind` with `init`, and names it in the workshop document with
    /// `record`.
    fn open_document(
        &mut self,
        kind: DocKind,
        fx: &mut Effects,
        batch: &mut WriteBatch,
        init: impl FnOnce(
            &mut automerge::transaction::Transaction<'_>,
        ) -> Result<(), automerge::AutomergeError>,
        record: impl FnOnce(
            &mut automerge::transaction::Transaction<'_>,
            DocumentId,
        ) -> Result<(), automerge::AutomergeError>,
    ) {
        let doc = DocumentId::random();
        match self.hub.create_document(doc, kind, init) {
            Ok(created) => fx.merge(created),
            Err(e) => {
                tracing::error!(error = %e, kind = kind.name(), "could not create a document");
                return;
            }
        }
        batch.documents.push(DocumentRow {
            id: doc,
            workshop_id: self.id,
            kind,
        });
        let ws_doc = self.hub.workshop_document();
        match self.hub.change(ws_doc, |tx| record(tx, doc)) {
            Ok((_, more)) => fx.merge(more),
            Err(e) => {
                tracing::error!(error = %e, kind = kind.name(), "could not record a document")
            }
        }
        tracing::info!(kind = kind.name(), document = %doc, "document opened");
    }

    fn is_rating(&self, doc: &DocumentId) -> bool {
        matches!(self.hub.document_kind(doc), Some(DocKind::Rating { .. }))
    }

    /// Recomputes 004's group profile from the ratings held now and writes it into the workshop
    /// document when it changed: from the profile step (step 2) on, and only once at least
    /// `plan.k` people answered (fewer give no profile at all, see [`Profile::of`]). After the
    /// purge there are no ratings left, and the profile written last is kept for the report.
    fn update_profile(&mut self, fx: &mut Effects) {
        let ws_doc = self.hub.workshop_document();
        let Some(view) = self.hub.document(&ws_doc).map(workshop_schema::view) else {
            return;
        };
        if view.form.id != FormId::BuildingBlocks {
            return;
        }
        let ratings: Vec<_> = self
            .hub
            .documents()
            .filter(|(_, k)| matches!(k, DocKind::Rating { .. }))
            .filter_map(|(id, _)| self.hub.document(&id))
            .map(|d| rating_schema::view(d).scores())
            .collect();
        if ratings.is_empty() {
            return;
        }
        // How many rated is a count, never a rating: the facilitator sees when k is reached.
        let rated = ratings.iter().filter(|r| !r.is_empty()).count() as u32;
        if rated != view.rated {
            match self
                .hub
                .change(ws_doc, |tx| workshop_schema::set_rated(tx, rated))
            {
                Ok((_, more)) => fx.merge(more),
                Err(e) => tracing::error!(error = %e, "could not write how many rated"),
            }
        }
        // Published from the profile step on, with every rating given so far at once: a profile
        // that ticked along while people rated would show, answer by answer, how each one rated.
        if !view
            .form
            .form()
            .step_has(Step::Duos, StepKind::GroupProfile)
            || !matches!(view.step, Some(Step::Duos | Step::Plenary | Step::Closed))
        {
            return;
        }
        let profile = Profile::of(&ratings, view.plan.k);
        if profile == view.profile {
            return;
        }
        match self.hub.change(ws_doc, |tx| {
            workshop_schema::set_profile(tx, profile.as_ref())
        }) {
            Ok((_, more)) => fx.merge(more),
            Err(e) => tracing::error!(error = %e, "could not write the group profile"),
        }
    }

    fn is_role_sheet(&self, doc: &DocumentId) -> bool {
        matches!(self.hub.document_kind(doc), Some(DocKind::RoleSheet { .. }))
    }

    /// Work form 003: keeps the workshop document's `role_map` equal to the claims of the role
    /// sheets whose owners published them (an unpublished claim never leaves its sheet; a
    /// `role_map` someone else wrote is put right in the same turn), counts who divided their
    /// points, and from the role-map step on writes the balance once at least `plan.k` did —
    /// all at once, for the reason [`Self::update_profile`] gives. After the purge there are no
    /// sheets left, and what was written last stays for the report.
    fn update_roles(&mut self, fx: &mut Effects) {
        let ws_doc = self.hub.workshop_document();
        let Some(view) = self.hub.document(&ws_doc).map(workshop_schema::view) else {
            return;
        };
        let form = view.form.form();
        if !form.step_has(Step::Reflect, StepKind::RoleClaims) {
            return;
        }
        let sheets: Vec<(ParticipantId, role_sheet::RoleSheetView)> = self
            .hub
            .documents()
            .filter_map(|(id, k)| match k {
                DocKind::RoleSheet { owner } => Some((owner, self.hub.document(&id)?)),
                _ => None,
            })
            .map(|(owner, d)| (owner, role_sheet::view(d)))
            .collect();
        if sheets.is_empty() {
            return;
        }
        let published: std::collections::BTreeMap<_, _> = sheets
            .iter()
            .filter(|(_, s)| s.published)
            .map(|(p, s)| (*p, s.claims.clone()))
            .collect();
        if published != view.role_map {
            let result = self.hub.change(ws_doc, |tx| {
                for p in view.role_map.keys() {
                    if !published.contains_key(p) {
                        workshop_schema::set_published_claims(tx, *p, None)?;
                    }
                }
                for (p, claims) in &published {
                    if view.role_map.get(p) != Some(claims) {
                        workshop_schema::set_published_claims(tx, *p, Some(claims))?;
                    }
                }
                Ok(())
            });
            match result {
                Ok((_, more)) => fx.merge(more),
                Err(e) => tracing::error!(error = %e, "could not write the role map"),
            }
        }
        let splits: Vec<[u32; 3]> = sheets.iter().map(|(_, s)| s.points).collect();
        // How many divided their points is a count, never a split.
        let answered = splits
            .iter()
            .filter(|s| s.iter().sum::<u32>() == kring_shared::forms::roles::POINTS)
            .count() as u32;
        if answered != view.rated {
            match self
                .hub
                .change(ws_doc, |tx| workshop_schema::set_rated(tx, answered))
            {
                Ok((_, more)) => fx.merge(more),
                Err(e) => tracing::error!(error = %e, "could not write how many answered"),
            }
        }
        if !form.step_has(Step::Duos, StepKind::GroupProfile)
            || !matches!(view.step, Some(Step::Duos | Step::Plenary | Step::Closed))
        {
            return;
        }
        let balance = Balance::of(&splits, view.plan.k);
        if balance == view.balance {
            return;
        }
        match self.hub.change(ws_doc, |tx| {
            workshop_schema::set_balance(tx, balance.as_ref())
        }) {
            Ok((_, more)) => fx.merge(more),
            Err(e) => tracing::error!(error = %e, "could not write the balance"),
        }
    }

    fn is_reflection(&self, doc: &DocumentId) -> bool {
        matches!(
            self.hub.document_kind(doc),
            Some(DocKind::Reflection { .. })
        )
    }

    fn presence_every(&self) -> Duration {
        EPHEMERAL_EVERY.max(PRESENCE_PER_PEER * self.connections.len() as u32)
    }

    /// Step-1 progress (counts, never content), to facilitators only.
    fn progress(&mut self) -> Effects {
        let mut p = Progress::default();
        let reflections: Vec<(DocumentId, ParticipantId)> = self
            .hub
            .documents()
            .filter_map(|(id, kind)| match kind {
                DocKind::Reflection { owner } => Some((id, owner)),
                _ => None,
            })
            .collect();
        for (id, owner) in reflections {
            // Counted again only when the document changed (its entry was removed then).
            if let Some(c) = self.counts.get(&id) {
                p.0.insert(owner, *c);
            } else if let Some(doc) = self.hub.document(&id) {
                let c = Counts::of(doc);
                self.counts.insert(id, c);
                p.0.insert(owner, c);
            }
        }
        let doc = self.hub.workshop_document();
        self.hub
            .broadcast_ephemeral_to(doc, p.encode(), |who| who.role == Role::Facilitator)
    }

    fn presence(&mut self) -> Effects {
        let mut p = Presence::default();
        for c in self.connections.values() {
            match c.principal.role {
                Role::Facilitator => p.facilitators += 1,
                Role::Screen => p.screens += 1,
                Role::Participant => p.online.extend(c.principal.participant),
            }
        }
        p.online.sort();
        p.online.dedup();
        let doc = self.hub.workshop_document();
        self.hub.broadcast_ephemeral(doc, p.encode())
    }

    fn add_compactions(&mut self, batch: &mut WriteBatch) {
        for (doc_id, _) in &batch.chunks {
            *self.appended.entry(*doc_id).or_default() += 1;
        }
        let due: Vec<DocumentId> = self
            .appended
            .iter()
            .filter(|(_, n)| **n >= COMPACT_AFTER)
            .map(|(d, _)| *d)
            .collect();
        for doc_id in due {
            if let Some(doc) = self.hub.document(&doc_id) {
                // The snapshot holds every change, including the chunks of this same batch,
                // and is written after them in the same transaction.
                batch
                    .snapshots
                    .push((doc_id, kring_shared::engine::snapshot(doc)));
            }
            self.appended.remove(&doc_id);
        }
    }

    fn log_refusals(&self, fx: &Effects) {
        for r in &fx.refused {
            self.metrics.refusals.inc();
            tracing::warn!(peer = %r.peer, document = ?r.document_id.map(|d| d.to_string()), reason = %r.reason, "refused");
        }
    }

    fn deliver(&mut self, sends: Vec<(PeerId, Message)>) {
        let mut too_slow = Vec::new();
        for (peer, msg) in sends {
            let Some(conn) = self.connections.get(&peer) else {
                continue;
            };
            let mut bytes = msg.encode();
            if bytes.len() > MAX_FRAME_BYTES {
                // Never more than the protocol allows a client to send us: the peer is told
                // why instead (the document budgets make this rare).
                self.metrics.refusals.inc();
                tracing::warn!(%peer, bytes = bytes.len(), "outgoing message over the frame limit; not sent");
                bytes = Message::Error {
                    sender_id: Some(self.hub.peer_id().clone()),
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
            match conn.outbox.try_send(Outgoing::Frame(Arc::new(bytes))) {
                Ok(()) => {
                    conn.queued.fetch_add(len, Ordering::Relaxed);
                }
                Err(mpsc::error::TrySendError::Full(_)) => too_slow.push(peer),
                // The connection is already gone; its Disconnect command is on its way.
                Err(mpsc::error::TrySendError::Closed(_)) => {}
            }
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
            self.hub.disconnect(&peer);
            self.presence.owed = true;
        }
    }
}
