//! The server side of the sync engine for one workshop: its documents, the peers connected to it,
//! their sync states, and the access and schema checks on everything they send.
//!
//! Every call returns [`Effects`]. The driver must make `persist` durable *before* it sends
//! anything in `send`: that is how Kring keeps its promise that a change is on disk before any
//! peer is told of heads that include it.

use std::collections::{BTreeMap, HashMap};

use automerge::sync::{self, SyncDoc};
use automerge::transaction::Transaction;
use automerge::{Automerge, AutomergeError, ChangeHash, PatchLog, ReadDoc};
use bytes::Bytes;

use crate::access::{Access, Context, DocKind, Principal, access};
use crate::ids::{DocumentId, PeerId};
use crate::limits::{
    MAX_DOCUMENT_CHANGES, MAX_DOCUMENT_OPS, MAX_INFLATED_BYTES, MAX_QUEUED_BYTES, check_blooms,
    inflated_size,
};
use crate::protocol::{DocMessage, Message};
use crate::schema;
use crate::step::Step;

/// What the driver must do after a call into the hub, in this order.
#[derive(Debug, Default)]
pub struct Effects {
    /// Incremental bytes to append to each document's storage (`Automerge::load_incremental`).
    pub persist: Vec<(DocumentId, Vec<u8>)>,
    /// Messages to deliver, after `persist` is durable.
    pub send: Vec<(PeerId, Message)>,
    /// Refusals, for the log; each was also told to its peer in `send`.
    pub refused: Vec<Refusal>,
}

impl Effects {
    /// Appends the effects of another call, keeping their order.
    pub fn merge(&mut self, other: Effects) {
        self.persist.extend(other.persist);
        self.send.extend(other.send);
        self.refused.extend(other.refused);
    }
}

/// Something a peer sent that the hub would not accept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub peer: PeerId,
    pub document_id: Option<DocumentId>,
    pub reason: String,
}

/// Why a server-side change could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    #[error("unknown document {0}")]
    UnknownDocument(DocumentId),
    #[error(transparent)]
    Automerge(#[from] AutomergeError),
    /// The change would break the document's schema; nothing was changed.
    #[error("{0}")]
    Schema(String),
}

/// How long the hub waits for a peer to answer a sync message before it sends what it owes
/// anyway (ms). Every automerge peer answers a message that brought it new heads, so this only
/// matters for a peer that does not (a message whose changes it already had): it then gets
/// owed changes at most this late, instead of never.
pub const ANSWER_TIMEOUT_MS: i64 = 1_000;

/// Sync messages built once per sync state, for as long as the document does not change: every
/// subscriber at the same state (readers that kept up) gets the same bytes. The sync state
/// after sending is kept too, since building the message moves it.
type Built = HashMap<sync::State, (sync::State, Option<Bytes>)>;

/// Distinct sync states whose message a document remembers until it changes; past it, messages
/// are built per subscriber (writers mid-sync each have their own state).
const MAX_BUILT: usize = 64;

/// One peer syncing one document.
#[derive(Default)]
struct Subscriber {
    state: sync::State,
    /// When (the hub's clock, ms) a message went out that the peer will answer and has not yet:
    /// while it is out, new changes wait (self-clocking), so a peer gets at most one message
    /// ahead of what it has answered, however fast the document changes.
    unanswered_since: Option<i64>,
    /// Changes came while a message was unanswered: a message is owed once it is answered.
    owed: bool,
}

/// Puts a subscriber's sync state back after [`Hub::receive`] took it out.
fn put_back(subscribers: &mut BTreeMap<PeerId, Subscriber>, peer: &PeerId, state: sync::State) {
    if let Some(sub) = subscribers.get_mut(peer) {
        sub.state = state;
    }
}

struct HubDoc {
    kind: DocKind,
    doc: Automerge,
    /// Heads already handed out in `persist`.
    saved_heads: Vec<ChangeHash>,
    /// Peers syncing this document.
    subscribers: BTreeMap<PeerId, Subscriber>,
    /// Messages built since the document last changed; cleared with every change.
    built: Built,
    /// Bytes of sync messages accepted while automerge held changes back because a change they
    /// depend on never came (its queue); 0 once nothing waits. Bounded by [`MAX_QUEUED_BYTES`].
    queued_bytes: usize,
}

impl HubDoc {
    fn new(kind: DocKind, doc: Automerge) -> Self {
        HubDoc {
            kind,
            saved_heads: doc.get_heads(),
            doc,
            subscribers: BTreeMap::new(),
            built: Built::new(),
            queued_bytes: 0,
        }
    }
}

/// Whether a document's history stays within [`MAX_DOCUMENT_OPS`] and [`MAX_DOCUMENT_CHANGES`]:
/// automerge keeps every operation ever made (deleted text too), so without a budget one peer
/// could make a document that takes seconds to load and megabytes to send.
fn within_history_budget(doc: &Automerge) -> Result<(), String> {
    let stats = doc.stats();
    if stats.num_ops > MAX_DOCUMENT_OPS {
        return Err(format!(
            "the document's history would hold {} operations, more than {MAX_DOCUMENT_OPS}",
            stats.num_ops
        ));
    }
    if stats.num_changes > MAX_DOCUMENT_CHANGES {
        return Err(format!(
            "the document's history would hold {} changes, more than {MAX_DOCUMENT_CHANGES}",
            stats.num_changes
        ));
    }
    Ok(())
}

/// What every sync message of one document in one call shares.
struct Outgoing<'a> {
    from: &'a PeerId,
    doc_id: DocumentId,
    /// The document's heads now.
    heads: &'a [ChangeHash],
    now: i64,
}

impl Outgoing<'_> {
    /// Sends a subscriber the next sync message, if it has something to hear and nothing
    /// unanswered; otherwise notes that a message is owed, and answers when it is due even
    /// without an answer.
    fn offer(
        &self,
        doc: &Automerge,
        built: &mut Built,
        peer: &PeerId,
        sub: &mut Subscriber,
        send: &mut Vec<(PeerId, Message)>,
    ) -> Option<i64> {
        if let Some(since) = sub.unanswered_since {
            sub.owed = true;
            return Some(since.saturating_add(ANSWER_TIMEOUT_MS));
        }
        // A peer answers a message that brings it heads it does not have (automerge generates a
        // message whenever its own heads moved or differ from ours); one that only confirms
        // heads it has may go unanswered, and then nothing may wait for it.
        let answered = sub
            .state
            .their_heads
            .as_ref()
            .is_none_or(|theirs| !same_heads(theirs, self.heads));
        let data = build(doc, built, &mut sub.state)?;
        sub.owed = false;
        if answered {
            sub.unanswered_since = Some(self.now);
        }
        send.push((
            peer.clone(),
            Message::Sync(DocMessage {
                sender_id: self.from.clone(),
                target_id: peer.clone(),
                document_id: self.doc_id,
                data,
            }),
        ));
        None
    }
}

/// The earlier of two optional times.
fn earliest(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Whether two lists of heads name the same changes (automerge sorts its own; a peer may not).
fn same_heads(a: &[ChangeHash], b: &[ChangeHash]) -> bool {
    a.len() == b.len() && a.iter().all(|h| b.contains(h))
}

/// The next sync message for a sync state, encoded; built once per distinct state while the
/// document stays as it is (see [`Built`]).
fn build(doc: &Automerge, built: &mut Built, state: &mut sync::State) -> Option<Bytes> {
    if let Some((after, data)) = built.get(state) {
        *state = after.clone();
        return data.clone();
    }
    let before = (built.len() < MAX_BUILT).then(|| state.clone());
    let data = doc
        .generate_sync_message(state)
        .map(|m| Bytes::from(m.encode()));
    if let Some(before) = before {
        built.insert(before, (state.clone(), data.clone()));
    }
    data
}

/// One workshop's documents and peers.
pub struct Hub {
    id: PeerId,
    ctx: Context,
    workshop_doc: DocumentId,
    docs: HashMap<DocumentId, HubDoc>,
    peers: BTreeMap<PeerId, Principal>,
    ephemeral_count: u64,
    /// The driver's clock (ms), set with [`Hub::set_now`]: when a sync message went out.
    now: i64,
    /// No owed message is due before this (ms): a lower bound, so that a turn with nothing
    /// overdue costs no walk over every subscriber.
    due: Option<i64>,
}

impl Hub {
    /// A hub around the workshop document; the step is read from it.
    pub fn new(id: PeerId, workshop_doc: DocumentId, doc: Automerge) -> Self {
        let mut hub = Self {
            id,
            ctx: Context::at(Step::Lobby),
            workshop_doc,
            docs: HashMap::new(),
            peers: BTreeMap::new(),
            ephemeral_count: 0,
            now: 0,
            due: None,
        };
        hub.insert_document(workshop_doc, DocKind::Workshop, doc);
        hub.ctx = hub.read_context();
        hub
    }

    pub fn peer_id(&self) -> &PeerId {
        &self.id
    }

    /// The driver's clock (ms): what follows is stamped with it, until the next call.
    pub fn set_now(&mut self, now: i64) {
        self.now = now;
    }

    /// When the earliest owed message is due because its peer never answered (see
    /// [`ANSWER_TIMEOUT_MS`]), if any is owed.
    /// (It may be earlier than needed: the peer may have answered since.)
    pub fn next_due(&self) -> Option<i64> {
        self.due
    }

    /// Sends what is owed to peers that left a message unanswered for [`ANSWER_TIMEOUT_MS`].
    pub fn send_overdue(&mut self) -> Effects {
        let mut fx = Effects::default();
        if self.due.is_none_or(|due| due > self.now) {
            return fx;
        }
        let deadline = self.now.saturating_sub(ANSWER_TIMEOUT_MS);
        let mut due = None;
        for (doc_id, d) in self.docs.iter_mut() {
            let mut heads = None;
            for (peer, sub) in d.subscribers.iter_mut() {
                let Some(since) = sub.unanswered_since.filter(|_| sub.owed) else {
                    continue;
                };
                if since > deadline {
                    due = earliest(due, Some(since.saturating_add(ANSWER_TIMEOUT_MS)));
                    continue;
                }
                sub.unanswered_since = None;
                let heads = heads.get_or_insert_with(|| d.doc.get_heads());
                let out = Outgoing {
                    from: &self.id,
                    doc_id: *doc_id,
                    heads,
                    now: self.now,
                };
                out.offer(&d.doc, &mut d.built, peer, sub, &mut fx.send);
            }
        }
        self.due = due;
        fx
    }

    pub fn step(&self) -> Step {
        self.ctx.step
    }

    /// The workshop state access depends on (step, lock).
    pub fn context(&self) -> &Context {
        &self.ctx
    }

    pub fn workshop_document(&self) -> DocumentId {
        self.workshop_doc
    }

    /// Adds a document loaded from storage (already durable).
    pub fn insert_document(&mut self, id: DocumentId, kind: DocKind, doc: Automerge) {
        self.docs.insert(id, HubDoc::new(kind, doc));
    }

    /// Forgets a document and every peer's sync state for it (retention purges reflections).
    /// Every peer syncing it hears `doc-unavailable` now (so a browser can drop its copy), and
    /// any peer that asks for it later hears the same. The workshop document stays.
    pub fn remove_document(&mut self, id: &DocumentId) -> Effects {
        if *id == self.workshop_doc {
            return Effects::default();
        }
        let Some(d) = self.docs.remove(id) else {
            return Effects::default();
        };
        Effects {
            send: d
                .subscribers
                .into_keys()
                .filter(|p| self.peers.contains_key(p))
                .map(|peer| {
                    (
                        peer.clone(),
                        Message::DocUnavailable {
                            sender_id: self.id.clone(),
                            target_id: peer,
                            document_id: *id,
                        },
                    )
                })
                .collect(),
            ..Effects::default()
        }
    }

    pub fn document(&self, id: &DocumentId) -> Option<&Automerge> {
        self.docs.get(id).map(|d| &d.doc)
    }

    pub fn document_kind(&self, id: &DocumentId) -> Option<DocKind> {
        self.docs.get(id).map(|d| d.kind)
    }

    /// The ids and kinds of every document.
    pub fn documents(&self) -> impl Iterator<Item = (DocumentId, DocKind)> + '_ {
        self.docs.iter().map(|(id, d)| (*id, d.kind))
    }

    /// Peers connected now, with who they are.
    pub fn peers(&self) -> impl Iterator<Item = (&PeerId, &Principal)> {
        self.peers.iter()
    }

    pub fn connect(&mut self, peer: PeerId, principal: Principal) {
        self.peers.insert(peer, principal);
    }

    /// Forgets a peer and its sync states.
    pub fn disconnect(&mut self, peer: &PeerId) {
        self.peers.remove(peer);
        for d in self.docs.values_mut() {
            d.subscribers.remove(peer);
        }
    }

    fn access_of(&self, peer: &PeerId, doc: &DocumentId) -> Access {
        match (self.peers.get(peer), self.docs.get(doc)) {
            (Some(who), Some(d)) => access(who, &d.kind, &self.ctx),
            _ => Access::None,
        }
    }

    /// Handles one message from a connected peer.
    pub fn receive(&mut self, from: &PeerId, msg: Message) -> Effects {
        match msg {
            Message::Request(m) | Message::Sync(m) => self.receive_sync(from, m),
            Message::Ephemeral {
                document_id,
                data,
                session_id,
                count,
                ..
            } => self.forward_ephemeral(from, document_id, session_id, count, data),
            Message::DocUnavailable { .. } | Message::Unknown { .. } | Message::Error { .. } => {
                Effects::default()
            }
            Message::Leave { .. } => {
                self.disconnect(from);
                Effects::default()
            }
            Message::Join { .. } | Message::Peer { .. } => self.refuse(
                from,
                None,
                "already joined: `join` comes once, first".into(),
            ),
        }
    }

    fn refuse(&self, peer: &PeerId, document_id: Option<DocumentId>, reason: String) -> Effects {
        Effects {
            persist: vec![],
            send: vec![(
                peer.clone(),
                Message::Error {
                    sender_id: Some(self.id.clone()),
                    target_id: Some(peer.clone()),
                    message: reason.clone(),
                    document_id,
                },
            )],
            refused: vec![Refusal {
                peer: peer.clone(),
                document_id,
                reason,
            }],
        }
    }

    fn unavailable(&self, peer: &PeerId, document_id: DocumentId) -> Effects {
        Effects {
            send: vec![(
                peer.clone(),
                Message::DocUnavailable {
                    sender_id: self.id.clone(),
                    target_id: peer.clone(),
                    document_id,
                },
            )],
            ..Effects::default()
        }
    }

    fn receive_sync(&mut self, from: &PeerId, m: DocMessage) -> Effects {
        let doc_id = m.document_id;
        let rights = self.access_of(from, &doc_id);
        if !rights.can_read() {
            // Unknown and forbidden look the same: the peer learns nothing of the document.
            return self.unavailable(from, doc_id);
        }
        let message_bytes = m.data.len();
        let sync_msg = match sync::Message::decode(&m.data) {
            Ok(s) => s,
            Err(e) => {
                return self.refuse(
                    from,
                    Some(doc_id),
                    format!("corrupt sync message for {doc_id}: {e}"),
                );
            }
        };
        let carries_changes = !sync_msg.changes.is_empty();
        if carries_changes && !rights.can_write() {
            return self.refuse(
                from,
                Some(doc_id),
                format!(
                    "you may read but not change document {doc_id}; your changes were not applied"
                ),
            );
        }
        if let Err(e) = check_blooms(&sync_msg) {
            return self.refuse(
                from,
                Some(doc_id),
                format!("sync message for {doc_id} refused: {e}"),
            );
        }
        if let Err(e) = inflated_size(sync_msg.changes.iter(), MAX_INFLATED_BYTES) {
            return self.refuse(
                from,
                Some(doc_id),
                format!("changes to {doc_id} refused: {e}"),
            );
        }
        let Some(d) = self.docs.get_mut(&doc_id) else {
            return self.unavailable(from, doc_id);
        };
        // Any sync message from the peer answers what we sent it (it carries the heads and the
        // have it reached): what is owed may go out now.
        // The state is taken out and put back in place (no map node freed and made again per
        // message: that was a tenth of the server's CPU in the plenary).
        let sub = match d.subscribers.get_mut(from) {
            Some(sub) => sub,
            None => d.subscribers.entry(from.clone()).or_default(),
        };
        sub.unanswered_since = None;
        let mut state = std::mem::take(&mut sub.state);
        let heads_before = d.doc.get_heads();
        if carries_changes {
            // Apply to a copy first: a change that breaks the schema must touch nothing.
            let mut trial = d.doc.clone();
            let mut trial_state = state.clone();
            // The patches say which entries the changes touched: only those are checked entry
            // by entry (a note typed into a sheet of 300 no longer re-reads the other 299).
            let mut log = PatchLog::active();
            // automerge can panic on malformed chunks (found by fuzzing: an unwrap in its RLE
            // decoder); a peer's bytes must not take the workshop down, so a panic here is a
            // refusal like any other. The trial copy is discarded either way.
            let applied = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                trial.receive_sync_message_log_patches(&mut trial_state, sync_msg, &mut log)?;
                Ok(schema::Changed::from_patches(&trial.make_patches(&mut log)))
            }))
            .unwrap_or(Err(AutomergeError::Fail));
            let changed = match applied {
                Ok(changed) => changed,
                Err(e) => {
                    put_back(&mut d.subscribers, from, state);
                    return self.refuse(
                        from,
                        Some(doc_id),
                        format!("changes to {doc_id} could not be applied: {e}"),
                    );
                }
            };
            if let Err(e) = schema::validate_changed(&d.kind, &trial, &self.ctx, &changed) {
                put_back(&mut d.subscribers, from, state);
                return self.refuse(
                    from,
                    Some(doc_id),
                    format!("change to {doc_id} refused: {e}"),
                );
            }
            if let Err(e) = within_history_budget(&trial) {
                put_back(&mut d.subscribers, from, state);
                return self.refuse(
                    from,
                    Some(doc_id),
                    format!("change to {doc_id} refused: {e}"),
                );
            }
            // Changes whose dependencies never arrive wait in automerge's queue, in memory and
            // invisible to the schema. A peer may legitimately be a message ahead (a Bloom
            // false positive), so some waiting is fine; past the budget the sender is refused
            // and everything waiting is dropped.
            if trial.get_missing_deps(&[]).is_empty() {
                d.queued_bytes = 0;
            } else {
                d.queued_bytes += message_bytes;
                if d.queued_bytes > MAX_QUEUED_BYTES {
                    let waiting = std::mem::take(&mut d.queued_bytes);
                    if !d.doc.get_missing_deps(&[]).is_empty() {
                        // A snapshot keeps only applied changes: the reload drops the queue.
                        if let Ok(clean) = Automerge::load(&super::snapshot(&d.doc)) {
                            d.doc = clean.with_actor(d.doc.get_actor().clone());
                            d.built.clear();
                        }
                    }
                    put_back(&mut d.subscribers, from, state);
                    return self.refuse(
                        from,
                        Some(doc_id),
                        format!(
                            "changes to {doc_id} refused: {waiting} bytes of changes wait for \
                             changes they depend on that were never sent (at most \
                             {MAX_QUEUED_BYTES}); they were dropped"
                        ),
                    );
                }
            }
            d.doc = trial;
            d.built.clear();
            state = trial_state;
        } else if let Some(sync_msg) = super::ack::acknowledge(&heads_before, &mut state, sync_msg)
            // Not an acknowledgement of our heads (those are taken in without automerge's walk
            // over the whole history, see `engine::ack`).
            && let Err(e) = d.doc.receive_sync_message(&mut state, sync_msg)
        {
            put_back(&mut d.subscribers, from, state);
            return self.refuse(
                from,
                Some(doc_id),
                format!("sync message for {doc_id} could not be applied: {e}"),
            );
        }
        put_back(&mut d.subscribers, from, state);
        if d.doc.get_heads() == heads_before {
            // Nothing new (an acknowledgement, a request, changes we had): only the sender
            // may be owed an answer. Syncing every subscriber here made each change cost
            // O(subscribers²) — every reader's acknowledgement re-ran the sync for all.
            return self.reply(from, doc_id);
        }
        self.after_change(doc_id)
    }

    /// The next sync message for one subscriber of a document, if it is owed one.
    fn reply(&mut self, peer: &PeerId, doc_id: DocumentId) -> Effects {
        let mut fx = Effects::default();
        if let Some(d) = self.docs.get_mut(&doc_id)
            && let Some(sub) = d.subscribers.get_mut(peer)
        {
            let heads = d.doc.get_heads();
            let out = Outgoing {
                from: &self.id,
                doc_id,
                heads: &heads,
                now: self.now,
            };
            self.due = earliest(
                self.due,
                out.offer(&d.doc, &mut d.built, peer, sub, &mut fx.send),
            );
        }
        fx
    }

    /// Persists new changes of a document (if any) and generates sync messages for every
    /// subscriber, re-evaluating access when the step moved.
    fn after_change(&mut self, doc_id: DocumentId) -> Effects {
        let mut fx = Effects::default();
        if let Some(d) = self.docs.get_mut(&doc_id) {
            let heads = d.doc.get_heads();
            if heads != d.saved_heads {
                fx.persist.push((doc_id, d.doc.save_after(&d.saved_heads)));
                d.saved_heads = heads;
            }
        }
        if doc_id == self.workshop_doc {
            let ctx = self.read_context();
            if ctx != self.ctx {
                self.ctx = ctx;
                fx.merge(self.reevaluate_access());
            }
        }
        fx.merge(self.sync_subscribers(doc_id));
        fx
    }

    fn sync_subscribers(&mut self, doc_id: DocumentId) -> Effects {
        let mut fx = Effects::default();
        let Some(d) = self.docs.get_mut(&doc_id) else {
            return fx;
        };
        let heads = d.doc.get_heads();
        let out = Outgoing {
            from: &self.id,
            doc_id,
            heads: &heads,
            now: self.now,
        };
        for (peer, sub) in d.subscribers.iter_mut() {
            self.due = earliest(
                self.due,
                out.offer(&d.doc, &mut d.built, peer, sub, &mut fx.send),
            );
        }
        fx
    }

    /// Stops syncing documents a peer may no longer read, and tells it so.
    fn reevaluate_access(&mut self) -> Effects {
        let mut fx = Effects::default();
        let mut lost = Vec::new();
        for (doc_id, d) in &self.docs {
            for peer in d.subscribers.keys() {
                let who = self.peers.get(peer);
                if !who.is_some_and(|w| access(w, &d.kind, &self.ctx).can_read()) {
                    lost.push((*doc_id, peer.clone()));
                }
            }
        }
        for (doc_id, peer) in lost {
            if let Some(d) = self.docs.get_mut(&doc_id) {
                d.subscribers.remove(&peer);
            }
            fx.merge(self.unavailable(&peer, doc_id));
        }
        fx
    }

    fn read_context(&self) -> Context {
        match self.docs.get(&self.workshop_doc) {
            Some(d) => {
                let v = schema::workshop::access_parts(&d.doc);
                Context {
                    step: v.step.unwrap_or(Step::Lobby),
                    lock: v.lock,
                    duos: v.duos.into_iter().map(|d| (d.id, d.members)).collect(),
                    round_running: v.round_running,
                    energy_dots: v.energy_dots,
                    form: v.form,
                }
            }
            None => Context::at(Step::Lobby),
        }
    }

    /// A change made by the server itself (a roster entry, a new document's first content).
    pub fn change<O>(
        &mut self,
        doc_id: DocumentId,
        f: impl FnOnce(&mut Transaction<'_>) -> Result<O, AutomergeError>,
    ) -> Result<(O, Effects), ChangeError> {
        let Some(d) = self.docs.get_mut(&doc_id) else {
            return Err(ChangeError::UnknownDocument(doc_id));
        };
        // The server's own writes meet the same schema as everyone's: made on a copy, and
        // refused whole if the result would not validate (a 501st roster entry must not wedge
        // every later facilitator change).
        let mut trial = d.doc.clone();
        let out = trial.transact(f).map_err(|failure| failure.error)?.result;
        if let Err(e) = schema::validate(&d.kind, &trial, &self.ctx) {
            return Err(ChangeError::Schema(e.to_string()));
        }
        d.doc = trial;
        d.built.clear();
        Ok((out, self.after_change(doc_id)))
    }

    /// Applies changes that are already durable — another node of a cluster accepted and stored
    /// them, or they were read back from the store — and syncs every subscriber. No access or
    /// schema check (the node that accepted them made both) and nothing to persist. A document
    /// not held yet is created with `kind`. Idempotent: changes already held change nothing.
    ///
    /// Answers the effects when the document changed (`None`: nothing new), and whether changes
    /// wait for others they depend on (the bytes arrived out of order or something was missed):
    /// the caller should then reload the document from the store.
    pub fn apply_durable(
        &mut self,
        doc_id: DocumentId,
        kind: DocKind,
        bytes: &[u8],
    ) -> Result<(Option<Effects>, bool), AutomergeError> {
        let d = self
            .docs
            .entry(doc_id)
            .or_insert_with(|| HubDoc::new(kind, Automerge::new()));
        let before = d.doc.get_heads();
        d.doc.load_incremental(bytes)?;
        let waiting = !d.doc.get_missing_deps(&[]).is_empty();
        let heads = d.doc.get_heads();
        if heads == before {
            return Ok((None, waiting));
        }
        // Durable already: nothing of this goes into `persist`. The messages built for the
        // document as it was are stale now.
        d.saved_heads = heads;
        d.built.clear();
        Ok((Some(self.after_change(doc_id)), waiting))
    }

    /// Forwards ephemeral data another node relayed (its sender was checked there) to every
    /// local peer that may read the document.
    pub fn forward_remote_ephemeral(
        &mut self,
        sender: PeerId,
        doc_id: DocumentId,
        session_id: String,
        count: u64,
        data: Vec<u8>,
    ) -> Effects {
        let receivers: Vec<PeerId> = self
            .peers
            .keys()
            .filter(|p| **p != sender && self.access_of(p, &doc_id).can_read())
            .cloned()
            .collect();
        // One buffer for every receiver.
        let data = bytes::Bytes::from(data);
        Effects {
            send: receivers
                .into_iter()
                .map(|to| {
                    (
                        to.clone(),
                        Message::Ephemeral {
                            sender_id: sender.clone(),
                            target_id: to,
                            count,
                            session_id: session_id.clone(),
                            document_id: doc_id,
                            data: data.clone(),
                        },
                    )
                })
                .collect(),
            ..Effects::default()
        }
    }

    /// Creates a document, writes its first content and returns the effects (persist).
    pub fn create_document(
        &mut self,
        doc_id: DocumentId,
        kind: DocKind,
        f: impl FnOnce(&mut Transaction<'_>) -> Result<(), AutomergeError>,
    ) -> Result<Effects, ChangeError> {
        self.docs
            .insert(doc_id, HubDoc::new(kind, Automerge::new()));
        Ok(self.change(doc_id, f)?.1)
    }

    fn forward_ephemeral(
        &mut self,
        from: &PeerId,
        doc_id: DocumentId,
        session_id: String,
        count: u64,
        data: Bytes,
    ) -> Effects {
        let rights = self.access_of(from, &doc_id);
        if !rights.can_read() {
            return self.unavailable(from, doc_id);
        }
        // Ephemeral data previews writes (a card being dragged): only writers may send it.
        // These refusals name no document: nothing of the document was refused, so the client
        // must keep its copy (an `error` with a `documentId` makes it reload the document).
        if !rights.can_write() {
            return self.refuse(
                from,
                None,
                format!("you may read but not broadcast on document {doc_id}"),
            );
        }
        let kind = self.docs.get(&doc_id).map(|d| d.kind);
        if let Some(Err(e)) = kind.map(|k| crate::ephemeral::check_from_client(&k, &data)) {
            return self.refuse(
                from,
                None,
                format!("ephemeral message on {doc_id} refused: {e}"),
            );
        }
        let mut fx = Effects::default();
        let receivers: Vec<PeerId> = self
            .peers
            .keys()
            .filter(|p| *p != from && self.access_of(p, &doc_id).can_read())
            .cloned()
            .collect();
        for to in receivers {
            fx.send.push((
                to.clone(),
                Message::Ephemeral {
                    sender_id: from.clone(),
                    target_id: to,
                    count,
                    session_id: session_id.clone(),
                    document_id: doc_id,
                    data: data.clone(),
                },
            ));
        }
        fx
    }

    /// An ephemeral message from the server itself (presence) to every reader of a document.
    pub fn broadcast_ephemeral(&mut self, doc_id: DocumentId, data: Vec<u8>) -> Effects {
        self.broadcast_ephemeral_to(doc_id, data, |_| true)
    }

    /// An ephemeral message from the server itself to the readers of a document that `to`
    /// selects (e.g. only facilitators).
    pub fn broadcast_ephemeral_to(
        &mut self,
        doc_id: DocumentId,
        data: Vec<u8>,
        to: impl Fn(&Principal) -> bool,
    ) -> Effects {
        let data = Bytes::from(data);
        self.ephemeral_count += 1;
        let mut fx = Effects::default();
        let receivers: Vec<PeerId> = self
            .peers
            .iter()
            .filter(|(p, who)| to(who) && self.access_of(p, &doc_id).can_read())
            .map(|(p, _)| p.clone())
            .collect();
        for to in receivers {
            fx.send.push((
                to.clone(),
                Message::Ephemeral {
                    sender_id: self.id.clone(),
                    target_id: to,
                    count: self.ephemeral_count,
                    session_id: self.id.0.clone(),
                    document_id: doc_id,
                    data: data.clone(),
                },
            ));
        }
        fx
    }
}
