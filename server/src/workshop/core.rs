//! The workshop's logic without IO: a [`Workshop`] takes a turn's [`Input`]s and the time, and
//! returns a [`Turn`] — what to write to the store, what to send to whom, which connections to
//! close and the answer to each input. It never waits, reads a clock or touches a socket; the
//! tokio task in [`super`] drains its channel into turns, writes, then delivers.
//!
//! The answer to a received frame says which of the turn's outgoing messages it caused (a
//! [`Caused`]), so the task can follow the frame's latency to every socket without the workshop
//! reading a clock.
//!
//! Time is the caller's `now` (ms since the epoch) on every call, so throttles, step timers,
//! retention and the purge run on a virtual clock in tests (see the tests at the end) and on the
//! wall clock in the server.

use std::collections::HashMap;
use std::ops::Range;

use kring_shared::access::{DocKind, Principal, Role, access};
use kring_shared::engine::hub::{Effects, Hub, Refusal};
use kring_shared::forms as form;
use kring_shared::ids::{DocumentId, ParticipantId, PeerId, WorkshopId};
use kring_shared::presence::Presence;
use kring_shared::progress::{Counts, Progress};
use kring_shared::protocol::Message;
use kring_shared::report;
use kring_shared::schema::{reflection, workshop as workshop_schema};
use kring_shared::step::Step;
use kring_shared::timer::{Timer, TimerAction};

use super::{CommandError, NewParticipant};
use crate::auth;
use crate::metrics::{Class, Labels};
use crate::store::{Activity, DocumentRow, TokenRow, WriteBatch};

/// Presence and progress go out at most this often (ms): when n peers come and go (or write),
/// each peer gets a few such messages per second instead of one per arrival. Presence lists
/// every peer, so with many peers it is spaced further (`PRESENCE_PER_PEER_MS` each), keeping
/// its bytes per second linear in the number of peers.
pub const EPHEMERAL_EVERY_MS: i64 = 250;
const PRESENCE_PER_PEER_MS: i64 = 5;
/// Peer ids remembered per workshop (with their owners) before those not connected are forgotten.
const MAX_PEER_OWNERS: usize = 4_096;
/// How long another node's presence counts without being repeated (it repeats it every
/// [`PRESENCE_REPEAT_MS`]): a node that died drops out of the presence after this.
pub const REMOTE_PRESENCE_TTL_MS: i64 = 15_000;
/// How often a node repeats its own presence of a workshop to the others.
pub const PRESENCE_REPEAT_MS: i64 = 5_000;
/// Appended chunks after which a document is compacted into one snapshot.
const COMPACT_AFTER: usize = 256;

/// One thing for the workshop to do in a turn. Each gets one [`Answer`], in order.
#[derive(Debug)]
pub enum Input {
    /// A WebSocket connection of `peer` opens; `conn` is unique per connection, so that a late
    /// `Disconnect` of a replaced connection cannot remove the one that replaced it.
    Connect {
        peer: PeerId,
        conn: u64,
        principal: Principal,
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
    },
    /// A participant fixes their name or organisation.
    UpdateParticipant {
        participant: ParticipantId,
        name: String,
        organisation: String,
    },
    /// The workshop document as a view (for public workshop info).
    View,
    /// A facilitator acts on the step timer; the turn's `now` is the timer's clock.
    Timer {
        by: Principal,
        action: TimerAction,
    },
    /// What the workshop report is made of (never a reflection: step 1 only as counts).
    Report,
    /// A facilitator lets participants fetch the report, or stops it.
    ShareReport {
        by: Principal,
        shared: bool,
    },
    /// Does nothing but take a turn, so the retention check runs.
    Maintain,
    /// Stop, so the workshop can be deleted: always when `force`, otherwise only when nobody is
    /// connected and nothing happened since `idle_before` (ms).
    Retire {
        force: bool,
        idle_before: i64,
    },
    /// Changes another node of a cluster accepted and stored (or the store's current state, read
    /// back when in doubt): applied without access or schema checks, never written again.
    Replica(Replica),
    /// Ephemeral data a peer on another node sent (checked there), for the readers here.
    RemoteEphemeral(Relay),
    /// Whether this node holds the workshop's lease: only the holder does the once-per-workshop
    /// work (creating documents, aggregates, the purge). A single node always holds it.
    Lead(bool),
    /// Who is connected to this workshop on another node (it repeats this every
    /// [`PRESENCE_REPEAT_MS`]); merged into the presence this node sends.
    RemotePresence {
        node: String,
        presence: Presence,
    },
}

/// What one turn of another node wrote: new documents, changes, purged documents.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Replica {
    pub documents: Vec<(DocumentId, DocKind)>,
    pub chunks: Vec<(DocumentId, Vec<u8>)>,
    pub purge: Vec<DocumentId>,
}

/// Ephemeral data accepted from a local peer, to relay to the other nodes (and from them).
#[derive(Debug, Clone, PartialEq)]
pub struct Relay {
    pub sender: PeerId,
    pub document_id: DocumentId,
    pub session_id: String,
    pub count: u64,
    pub data: Vec<u8>,
}

/// The answer to one [`Input`], in the same order.
#[derive(Debug)]
pub enum Answer {
    Connect(Result<(), String>),
    /// What the frame caused, when it changed a document or relayed an ephemeral message.
    Receive(Option<Caused>),
    Disconnect,
    AddParticipant(Result<NewParticipant, CommandError>),
    UpdateParticipant(Result<(), String>),
    View(Box<workshop_schema::WorkshopView>),
    Timer(Result<Timer, CommandError>),
    Report(Box<report::Sources>),
    ShareReport(Result<(), CommandError>),
    Maintain,
    /// Whether the workshop retires ([`Turn::retire`] is set then).
    Retire(bool),
    /// Whether the replica left a doubt (a change waiting for one never seen, a document of
    /// unknown kind): the caller should reload the workshop from the store.
    Replica {
        doubt: bool,
    },
    RemoteEphemeral,
    Lead,
    RemotePresence,
}

/// What one received frame caused in its turn: the messages `sends` (indices into
/// [`Turn::send`]; those to `origin` itself, such as its own sync answer, are not fan-out).
/// Only frames that changed a document (sync) or were relayed to someone (ephemeral) have one;
/// what follows later in the turn (presence, aggregates) is not attributed to a frame.
#[derive(Debug)]
pub struct Caused {
    pub origin: PeerId,
    pub labels: Labels,
    pub sends: Range<usize>,
}

/// What one turn asks of the IO around it: write `write` durably, then answer, then send.
#[derive(Debug, Default)]
pub struct Turn {
    pub write: WriteBatch,
    /// Messages to deliver once `write` is durable.
    pub send: Vec<(PeerId, Message)>,
    /// Connections the workshop ends, with the reason for the peer.
    pub close: Vec<(PeerId, String)>,
    pub answers: Vec<Answer>,
    /// Refusals in this turn (each was also told to its peer in `send`), for the log.
    pub refused: Vec<Refusal>,
    /// The workshop stops after this turn (it is being deleted).
    pub retire: bool,
    /// Ephemeral messages local peers sent and the workshop accepted, for other nodes.
    pub relay: Vec<Relay>,
    /// Who is connected here, when that changed in this turn: for the other nodes.
    pub local_presence: Option<Presence>,
}

/// Something owed to peers that is sent at most once per interval.
#[derive(Debug, Default)]
struct Throttle {
    owed: bool,
    sent: Option<i64>,
}

impl Throttle {
    /// When it is due (ms), if owed.
    fn due_at(&self, every: i64, now: i64) -> Option<i64> {
        self.owed
            .then(|| self.sent.map_or(now, |t| t.saturating_add(every)))
    }

    /// Whether to send it now (and then it counts as sent).
    fn take(&mut self, now: i64, every: i64) -> bool {
        if self.owed && self.sent.is_none_or(|t| now >= t.saturating_add(every)) {
            self.owed = false;
            self.sent = Some(now);
            true
        } else {
            false
        }
    }
}

/// One connected peer, as the workshop sees it.
#[derive(Debug, Clone, Copy)]
struct Peer {
    conn: u64,
    principal: Principal,
}

/// One workshop's documents, peers and rules; see the module doc.
pub struct Workshop {
    pub(super) id: WorkshopId,
    pub(super) hub: Hub,
    peers: HashMap<PeerId, Peer>,
    /// Which principal first used each peer id, for as long as the workshop is loaded: a peer
    /// id is that principal's, so nobody else can take it over while its owner is away.
    peer_owners: HashMap<PeerId, Principal>,
    appended: HashMap<DocumentId, usize>,
    /// When the workshop moved to `closed` (ms), as stored.
    closed_at: Option<i64>,
    /// How long after closing the private documents are purged (ms).
    purge_grace_ms: i64,
    /// When an input other than maintenance last came in (ms).
    last_activity: i64,
    /// Someone connected or left: presence is owed (a reconnect storm of n peers would
    /// otherwise send n² messages).
    presence: Throttle,
    /// A reflection changed: step-1 counts are owed to the facilitators.
    progress: Throttle,
    /// Note counts per reflection document, so a turn recounts only what changed.
    counts: HashMap<DocumentId, Counts>,
    /// The documents that follow the workshop document are checked on the first turn.
    first_turn: bool,
    /// Whether this node does the once-per-workshop work (see [`Input::Lead`]).
    leader: bool,
    /// Documents changed by replicas in the current turn (they are in no `persist`).
    replicated: Vec<DocumentId>,
    /// Who is connected on other nodes, with when each said so (ms).
    remote_presence: HashMap<String, (Presence, i64)>,
    /// Peers here came or went since the other nodes were last told.
    local_presence_changed: bool,
}

impl Workshop {
    /// A workshop over loaded documents; `closed_at` as stored, `now` the time it loads.
    pub fn new(
        id: WorkshopId,
        hub: Hub,
        closed_at: Option<i64>,
        purge_grace_ms: i64,
        now: i64,
    ) -> Self {
        Self {
            id,
            hub,
            peers: HashMap::new(),
            peer_owners: HashMap::new(),
            appended: HashMap::new(),
            closed_at,
            purge_grace_ms,
            last_activity: now,
            presence: Throttle::default(),
            progress: Throttle::default(),
            counts: HashMap::new(),
            first_turn: true,
            leader: true,
            replicated: Vec::new(),
            remote_presence: HashMap::new(),
            local_presence_changed: false,
        }
    }

    /// The same workshop on a node of a cluster that does not hold its lease (yet): it waits
    /// for [`Input::Lead`] before doing any once-per-workshop work.
    pub fn follower(mut self) -> Self {
        self.leader = false;
        self
    }

    /// Whether this node does the once-per-workshop work.
    pub fn is_leader(&self) -> bool {
        self.leader
    }

    /// How many peers are connected.
    pub fn connected(&self) -> usize {
        self.peers.len()
    }

    /// Whether `peer` is connected through connection `conn`.
    pub fn is_connected(&self, peer: &PeerId, conn: u64) -> bool {
        self.peers.get(peer).is_some_and(|p| p.conn == conn)
    }

    /// When the workshop was last used and since when it is closed.
    pub fn activity(&self) -> Activity {
        Activity {
            active_at: self.last_activity,
            closed_at: self.closed_at,
        }
    }

    /// When a turn is due even without input (presence or progress owed, another node's
    /// presence expiring, or a sync message owed to a peer that did not answer the last one),
    /// in ms.
    pub fn wake_at(&self, now: i64) -> Option<i64> {
        let expiry = self
            .remote_presence
            .values()
            .map(|(_, at)| at.saturating_add(REMOTE_PRESENCE_TTL_MS))
            .min();
        [
            self.presence.due_at(self.presence_every(), now),
            self.progress.due_at(EPHEMERAL_EVERY_MS, now),
            expiry,
            self.hub.next_due(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Who is connected on this node only.
    pub fn local_presence(&self) -> Presence {
        let mut p = Presence::default();
        for peer in self.peers.values() {
            match peer.principal.role {
                Role::Facilitator => p.facilitators += 1,
                Role::Screen => p.screens += 1,
                Role::Participant => p.online.extend(peer.principal.participant),
            }
        }
        p.online.sort();
        p.online.dedup();
        p
    }

    /// A connection the IO around it ended (too slow to keep up): the peer is gone.
    pub fn drop_peer(&mut self, peer: &PeerId) {
        if self.peers.remove(peer).is_some() {
            self.hub.disconnect(peer);
            self.presence.owed = true;
            self.local_presence_changed = true;
        }
    }

    /// Takes `inputs` at time `now` and everything that follows from them in the same turn:
    /// documents the workshop document now names, aggregates, retention, presence, progress
    /// and compaction.
    pub fn turn(&mut self, inputs: impl IntoIterator<Item = Input>, now: i64) -> Turn {
        let mut fx = Effects::default();
        let mut turn = Turn::default();
        self.hub.set_now(now);
        for input in inputs {
            let answer = self.input(input, now, &mut fx, &mut turn);
            turn.answers.push(answer);
        }
        let before = self.remote_presence.len();
        self.remote_presence
            .retain(|_, (_, at)| now < at.saturating_add(REMOTE_PRESENCE_TTL_MS));
        if self.remote_presence.len() != before {
            // A node stopped repeating its presence (it died): its peers are gone.
            self.presence.owed = true;
        }
        if std::mem::take(&mut self.local_presence_changed) {
            turn.local_presence = Some(self.local_presence());
        }
        if self.presence.take(now, self.presence_every()) {
            fx.merge(self.presence_message());
        }
        // Sync messages owed to peers that never answered the last one (see `hub::Subscriber`).
        fx.merge(self.hub.send_overdue());
        // The documents follow the workshop document (duos, roster, table): look when it
        // changed and on the first turn after loading (reading it is a full view, too dear for
        // every turn of a busy workshop).
        // Only the lease holder does this work (see `Input::Lead`); a single node always does.
        let ws_doc = self.hub.workshop_document();
        let replicated = std::mem::take(&mut self.replicated);
        let touched: Vec<DocumentId> = fx
            .persist
            .iter()
            .map(|(d, _)| *d)
            .chain(replicated)
            .collect();
        let ws_changed = touched.contains(&ws_doc);
        let ratings_changed = touched.iter().any(|d| self.is_rating(d));
        let sheets_changed = touched.iter().any(|d| self.is_role_sheet(d));
        let answers_changed = touched.iter().any(|d| self.is_answers(d));
        if self.leader {
            if std::mem::take(&mut self.first_turn) || ws_changed {
                self.open_documents(&mut fx, &mut turn.write);
            }
            if ratings_changed || ws_changed {
                self.update_profile(&mut fx);
            }
            if sheets_changed || ws_changed {
                self.update_roles(&mut fx);
            }
            if answers_changed || ws_changed {
                self.update_consensus(&mut fx);
            }
        }
        if (answers_changed || ws_changed) && form::form(self.hub.context().form).consents() {
            // Who answered the round that runs now, for the facilitators (on every node: each
            // tells its own facilitators).
            self.progress.owed = true;
        }
        self.retention(now, &mut fx, &mut turn.write);
        let changed: Vec<DocumentId> = touched
            .into_iter()
            .filter(|d| self.is_reflection(d))
            .collect();
        for d in &changed {
            self.counts.remove(d);
            self.progress.owed = true;
        }
        if self.progress.take(now, EPHEMERAL_EVERY_MS) {
            fx.merge(self.progress_message());
        }
        turn.write.chunks.extend(std::mem::take(&mut fx.persist));
        self.add_compactions(&mut turn.write);
        turn.send = fx.send;
        turn.refused = fx.refused;
        turn
    }

    fn input(&mut self, input: Input, now: i64, fx: &mut Effects, turn: &mut Turn) -> Answer {
        if !matches!(input, Input::Maintain | Input::Retire { .. }) {
            self.last_activity = now;
        }
        match input {
            Input::Connect {
                peer,
                conn,
                principal,
            } => {
                let result = self.claim_peer_id(&peer, principal);
                if result.is_ok() {
                    self.peers.insert(peer.clone(), Peer { conn, principal });
                    self.hub.connect(peer.clone(), principal);
                    tracing::info!(%peer, role = ?principal.role, "peer connected");
                    self.presence.owed = true;
                    self.local_presence_changed = true;
                    if principal.role == Role::Facilitator {
                        fx.merge(self.progress_message());
                    }
                }
                Answer::Connect(result)
            }
            Input::Receive { peer, message } => {
                if !self.peers.contains_key(&peer) {
                    return Answer::Receive(None);
                }
                let traced = match &message {
                    Message::Request(d) | Message::Sync(d) => Some((d.document_id, Class::Sync)),
                    Message::Ephemeral { document_id, .. } => {
                        Some((*document_id, Class::Ephemeral))
                    }
                    _ => None,
                };
                let (sent, persisted) = (fx.send.len(), fx.persist.len());
                let refused = fx.refused.len();
                let relay = match &message {
                    Message::Ephemeral {
                        document_id,
                        session_id,
                        count,
                        data,
                        ..
                    } => Some(Relay {
                        sender: peer.clone(),
                        document_id: *document_id,
                        session_id: session_id.clone(),
                        count: *count,
                        data: data.to_vec(),
                    }),
                    _ => None,
                };
                fx.merge(self.hub.receive(&peer, message));
                if let Some(relay) = relay
                    && fx.refused.len() == refused
                    && self.hub.document_kind(&relay.document_id).is_some()
                {
                    // Accepted here (a writer's drag, within its schema): other nodes' readers
                    // get it too.
                    turn.relay.push(relay);
                }
                let caused = traced.and_then(|(doc, class)| {
                    let counts = match class {
                        Class::Sync => fx.persist.len() > persisted,
                        Class::Ephemeral => fx.send[sent..].iter().any(|(to, _)| *to != peer),
                    };
                    let kind = self.hub.document_kind(&doc).filter(|_| counts)?;
                    Some(Caused {
                        origin: peer,
                        labels: Labels {
                            kind: kind.name(),
                            class,
                        },
                        sends: sent..fx.send.len(),
                    })
                });
                Answer::Receive(caused)
            }
            Input::Disconnect { peer, conn } => {
                // Only the connection that ends: a newer one with the same peer id stays.
                if self.peers.get(&peer).is_some_and(|p| p.conn == conn) {
                    self.peers.remove(&peer);
                    self.hub.disconnect(&peer);
                    tracing::info!(%peer, "peer disconnected");
                    self.presence.owed = true;
                    self.local_presence_changed = true;
                }
                Answer::Disconnect
            }
            Input::View => Answer::View(Box::new(self.view())),
            Input::UpdateParticipant {
                participant,
                name,
                organisation,
            } => Answer::UpdateParticipant(self.update_participant(
                participant,
                name,
                organisation,
                fx,
            )),
            Input::Timer { by, action } => Answer::Timer(self.timer(by, action, now, fx)),
            Input::Report => Answer::Report(Box::new(self.report_sources())),
            Input::ShareReport { by, shared } => {
                Answer::ShareReport(self.share_report(by, shared, fx))
            }
            Input::Maintain => Answer::Maintain,
            Input::Retire { force, idle_before } => {
                let idle = self.peers.is_empty() && self.last_activity < idle_before;
                if force || idle {
                    for (peer, _) in self.peers.drain() {
                        self.hub.disconnect(&peer);
                        turn.close
                            .push((peer, "this workshop has been deleted".into()));
                    }
                    tracing::info!(force, "workshop retires for deletion");
                    turn.retire = true;
                }
                Answer::Retire(force || idle)
            }
            Input::AddParticipant { name, organisation } => {
                Answer::AddParticipant(self.add_participant(name, organisation, now, fx, turn))
            }
            Input::Replica(replica) => Answer::Replica {
                doubt: self.apply_replica(replica, fx),
            },
            Input::RemoteEphemeral(r) => {
                fx.merge(self.hub.forward_remote_ephemeral(
                    r.sender,
                    r.document_id,
                    r.session_id,
                    r.count,
                    r.data,
                ));
                Answer::RemoteEphemeral
            }
            Input::RemotePresence { node, presence } => {
                self.remote_presence.insert(node, (presence, now));
                self.presence.owed = true;
                Answer::RemotePresence
            }
            Input::Lead(leader) => {
                if leader && !self.leader {
                    // Whatever the previous holder left undone is looked at again.
                    self.first_turn = true;
                    tracing::info!("this node now holds the workshop's lease");
                } else if !leader && self.leader {
                    tracing::info!("this node no longer holds the workshop's lease");
                }
                self.leader = leader;
                Answer::Lead
            }
        }
    }

    /// Applies another node's durable writes; answers whether anything left a doubt.
    fn apply_replica(&mut self, replica: Replica, fx: &mut Effects) -> bool {
        let mut doubt = false;
        for (doc_id, bytes) in replica.chunks {
            let kind = self.hub.document_kind(&doc_id).or_else(|| {
                replica
                    .documents
                    .iter()
                    .find(|(d, _)| *d == doc_id)
                    .map(|(_, k)| *k)
            });
            let Some(kind) = kind else {
                // A change to a document this node never heard of: it missed its creation.
                doubt = true;
                continue;
            };
            if replica.purge.contains(&doc_id) {
                continue;
            }
            match self.hub.apply_durable(doc_id, kind, &bytes) {
                Ok((changed, waiting)) => {
                    doubt |= waiting;
                    if let Some(more) = changed {
                        self.replicated.push(doc_id);
                        fx.merge(more);
                    }
                }
                Err(e) => {
                    tracing::warn!(document = %doc_id, error = %e, "replicated change not applied");
                    doubt = true;
                }
            }
        }
        for doc_id in replica.purge {
            fx.merge(self.hub.remove_document(&doc_id));
            self.appended.remove(&doc_id);
            self.counts.remove(&doc_id);
        }
        doubt
    }

    fn view(&self) -> workshop_schema::WorkshopView {
        let doc = self.hub.workshop_document();
        self.hub
            .document(&doc)
            .map(workshop_schema::view)
            .unwrap_or_default()
    }

    /// Binds `peer` to `principal` while the workshop is loaded, or says whose it is. The same
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
            let peers = &self.peers;
            self.peer_owners.retain(|p, _| peers.contains_key(p));
        }
        self.peer_owners.insert(peer.clone(), principal);
        Ok(())
    }

    fn add_participant(
        &mut self,
        name: String,
        organisation: String,
        now: i64,
        fx: &mut Effects,
        turn: &mut Turn,
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
            joined_at: now,
            reflection: Some(reflection_doc),
            voice: None,
            rating: None,
            role_sheet: None,
            answers: None,
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
        turn.write.documents.push(DocumentRow {
            id: reflection_doc,
            workshop_id: self.id,
            kind,
        });
        turn.write.tokens.push(TokenRow {
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

    fn share_report(
        &mut self,
        by: Principal,
        shared: bool,
        fx: &mut Effects,
    ) -> Result<(), CommandError> {
        self.may_steer(&by)?;
        let doc = self.hub.workshop_document();
        let (_, more) = self
            .hub
            .change(doc, |tx| workshop_schema::set_report_shared(tx, shared))
            .map_err(|e| CommandError::Failed(e.to_string()))?;
        fx.merge(more);
        Ok(())
    }

    fn may_steer(&self, by: &Principal) -> Result<(), CommandError> {
        if access(by, &DocKind::Workshop, self.hub.context()).can_write() {
            Ok(())
        } else {
            Err(CommandError::Forbidden(
                "only the facilitator who locked the console can steer now".into(),
            ))
        }
    }

    /// Notes when the workshop closes (or reopens), and once it has been closed for the grace
    /// period purges every private document: the counts of step 1 are kept in the workshop
    /// document, the documents leave the hub, and the store deletes them in this turn's write.
    fn retention(&mut self, now: i64, fx: &mut Effects, write: &mut WriteBatch) {
        let closed = self.hub.step() == Step::Closed;
        match (closed, self.closed_at) {
            (true, None) => self.closed_at = Some(now),
            (false, Some(_)) => self.closed_at = None,
            _ => return self.purge_if_due(now, fx, write),
        }
        write.activity.push((self.id, self.activity()));
        self.purge_if_due(now, fx, write);
    }

    fn purge_if_due(&mut self, now: i64, fx: &mut Effects, write: &mut WriteBatch) {
        let Some(closed_at) = self.closed_at else {
            return;
        };
        if !self.leader {
            // The lease holder purges, once, and the other nodes hear of it as a replica.
            return;
        }
        if now < closed_at.saturating_add(self.purge_grace_ms) {
            return;
        }
        // 004's ratings, 003's role sheets (points, unpublished claims) and 001's answers go
        // with the reflections: the profile, the balance, the published role map, the phase
        // distribution and the tallies stay in the workshop document.
        let private: Vec<DocumentId> = self
            .hub
            .documents()
            .filter(|(_, k)| k.is_private())
            .map(|(id, _)| id)
            .collect();
        if private.is_empty() {
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
        for id in &private {
            fx.merge(self.hub.remove_document(id));
            self.appended.remove(id);
            self.counts.remove(id);
        }
        tracing::info!(
            documents = private.len(),
            "private documents purged after closing"
        );
        write.purge.extend(private);
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
            .view()
            .roster
            .into_iter()
            .find(|r| r.id == participant)
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
        now: i64,
        fx: &mut Effects,
    ) -> Result<Timer, CommandError> {
        self.may_steer(&by)?;
        let after = self.view().timer.apply(action, now);
        let doc = self.hub.workshop_document();
        let (_, more) = self
            .hub
            .change(doc, |tx| workshop_schema::write_timer(tx, &after))
            .map_err(|e| CommandError::Failed(e.to_string()))?;
        fx.merge(more);
        Ok(after)
    }

    fn is_reflection(&self, doc: &DocumentId) -> bool {
        matches!(
            self.hub.document_kind(doc),
            Some(DocKind::Reflection { .. })
        )
    }

    fn presence_every(&self) -> i64 {
        EPHEMERAL_EVERY_MS.max(PRESENCE_PER_PEER_MS * self.peers.len() as i64)
    }

    /// Step-1 progress (counts, never content), to facilitators only.
    fn progress_message(&mut self) -> Effects {
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
        if form::form(self.hub.context().form).consents() {
            for (owner, answered) in self.answered_now() {
                p.0.entry(owner).or_default().answered = u32::from(answered);
            }
        }
        let doc = self.hub.workshop_document();
        self.hub
            .broadcast_ephemeral_to(doc, p.encode(), |who| who.role == Role::Facilitator)
    }

    /// Who is connected, on this node and (with several) on the others.
    fn presence_message(&mut self) -> Effects {
        let mut p = self.local_presence();
        for (other, _) in self.remote_presence.values() {
            p.facilitators += other.facilitators;
            p.screens += other.screens;
            p.online.extend(other.online.iter().copied());
        }
        p.online.sort();
        p.online.dedup();
        let doc = self.hub.workshop_document();
        self.hub.broadcast_ephemeral(doc, p.encode())
    }

    fn add_compactions(&mut self, write: &mut WriteBatch) {
        for (doc_id, _) in &write.chunks {
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
                write
                    .snapshots
                    .push((doc_id, kring_shared::engine::snapshot(doc)));
            }
            self.appended.remove(&doc_id);
        }
    }
}

/// The workshop's rules on a virtual clock: no test here waits for real time to pass.
#[cfg(test)]
mod tests {
    use automerge::Automerge;
    use kring_shared::forms::{FormId, FormRef};
    use kring_shared::ids::FacilitatorId;
    use kring_shared::presence::Presence;

    use super::*;

    /// Monday 1 December 2025, 09:00 UTC: the virtual clock's start.
    const T0: i64 = 1_764_579_600_000;
    const GRACE_MS: i64 = 24 * 3600 * 1000;

    fn workshop(form: FormId) -> Workshop {
        let mut doc = Automerge::new();
        doc.transact::<_, _, automerge::AutomergeError>(|tx| {
            let form = FormRef {
                id: form,
                version: kring_shared::forms::form(form).version,
            };
            workshop_schema::init_form(tx, "Virtueel", "nl", form)
        })
        .unwrap();
        let id = WorkshopId::random();
        let hub = Hub::new(super::super::server_peer_id(id), DocumentId::random(), doc);
        Workshop::new(id, hub, None, GRACE_MS, T0)
    }

    fn connect(peer: &str, conn: u64, principal: Principal) -> Input {
        Input::Connect {
            peer: PeerId::new(peer),
            conn,
            principal,
        }
    }

    fn join(w: &mut Workshop, name: &str, now: i64) -> NewParticipant {
        let turn = w.turn(
            [Input::AddParticipant {
                name: name.into(),
                organisation: "CAW".into(),
            }],
            now,
        );
        match turn.answers.into_iter().next() {
            Some(Answer::AddParticipant(Ok(p))) => p,
            other => panic!("join answered {other:?}"),
        }
    }

    /// The presence messages of a turn, per receiving peer.
    fn presences(turn: &Turn) -> Vec<(String, Presence)> {
        turn.send
            .iter()
            .filter_map(|(to, m)| match m {
                Message::Ephemeral { data, .. } => Some((to.0.clone(), Presence::decode(data)?)),
                _ => None,
            })
            .collect()
    }

    fn set_step(w: &mut Workshop, step: Step) {
        let doc = w.hub.workshop_document();
        w.hub
            .change(doc, |tx| workshop_schema::set_step(tx, step))
            .unwrap();
    }

    #[test]
    fn presence_goes_out_at_most_every_250_ms_however_many_arrive() {
        let mut w = workshop(FormId::ThreeLevels);
        let facilitator = Principal::facilitator(FacilitatorId::random());
        let first = w.turn([connect("a", 1, facilitator)], T0);
        assert_eq!(
            presences(&first).len(),
            1,
            "the first arrival is told at once"
        );
        assert_eq!(w.wake_at(T0), None, "nothing owed after it was sent");

        // Nine more arrive within the interval: nobody hears of them yet.
        for (i, t) in (1..10).zip((T0 + 10..).step_by(20)) {
            let turn = w.turn([connect(&format!("p{i}"), i + 1, Principal::screen())], t);
            assert!(presences(&turn).is_empty(), "arrival {i} at +{} ms", t - T0);
        }
        assert_eq!(w.wake_at(T0 + 200), Some(T0 + EPHEMERAL_EVERY_MS));
        assert!(presences(&w.turn([], T0 + 249)).is_empty());

        // At the interval, one message each with all ten.
        let due = w.turn([], T0 + 250);
        let sent = presences(&due);
        assert_eq!(sent.len(), 10);
        assert!(
            sent.iter()
                .all(|(_, p)| p.facilitators == 1 && p.screens == 9)
        );
        assert_eq!(w.wake_at(T0 + 250), None);
    }

    #[test]
    fn private_documents_are_purged_exactly_when_the_grace_period_ends() {
        let mut w = workshop(FormId::ThreeLevels);
        let anna = join(&mut w, "Anna", T0);
        let note = reflection::Note {
            id: "n1".into(),
            ring: kring_shared::method::LevelId::Collegial,
            text: "Ik bel eerst de school".into(),
            mark: reflection::Mark::Green,
            x: 0.5,
            y: 0.5,
            question: None,
        };
        w.hub
            .change(anna.reflection_doc, |tx| reflection::put_note(tx, &note))
            .unwrap();
        let closed = T0 + 3_600_000;
        set_step(&mut w, Step::Closed);
        let turn = w.turn([Input::Maintain], closed);
        assert_eq!(w.activity().closed_at, Some(closed));
        assert_eq!(turn.write.activity, vec![(w.id, w.activity())]);
        assert!(turn.write.purge.is_empty());

        let just_before = w.turn([Input::Maintain], closed + GRACE_MS - 1);
        assert!(just_before.write.purge.is_empty(), "one ms early");
        assert!(w.hub.document(&anna.reflection_doc).is_some());

        let due = w.turn([Input::Maintain], closed + GRACE_MS);
        assert_eq!(due.write.purge, vec![anna.reflection_doc]);
        assert!(w.hub.document(&anna.reflection_doc).is_none());
        let kept = w.view().step1.expect("step 1's counts kept");
        assert_eq!((kept.people, kept.collegial, kept.green), (1, 1, 1));
        assert!(
            !format!("{kept:?}").contains("school"),
            "counts, never text"
        );
    }

    #[test]
    fn reopening_before_the_grace_period_ends_keeps_everything() {
        let mut w = workshop(FormId::ThreeLevels);
        let anna = join(&mut w, "Anna", T0);
        set_step(&mut w, Step::Closed);
        w.turn([], T0 + 1);
        set_step(&mut w, Step::Plenary);
        let reopened = w.turn([], T0 + 2);
        assert_eq!(w.activity().closed_at, None);
        assert_eq!(reopened.write.activity.len(), 1, "the reopening is stored");
        let later = w.turn([Input::Maintain], T0 + 10 * GRACE_MS);
        assert!(later.write.purge.is_empty());
        assert!(w.hub.document(&anna.reflection_doc).is_some());
    }

    #[test]
    fn the_step_timer_runs_on_the_turns_clock() {
        let mut w = workshop(FormId::ThreeLevels);
        let by = Principal::facilitator(FacilitatorId::random());
        let started = w.turn(
            [Input::Timer {
                by,
                action: TimerAction::Start { minutes: 7 },
            }],
            T0,
        );
        let Some(Answer::Timer(Ok(timer))) = started.answers.first() else {
            panic!("{:?}", started.answers);
        };
        assert_eq!(timer.remaining_at(T0 + 60_000), 6 * 60_000);
        let paused = w.turn(
            [Input::Timer {
                by,
                action: TimerAction::Pause,
            }],
            T0 + 90_000,
        );
        let Some(Answer::Timer(Ok(timer))) = paused.answers.first() else {
            panic!("{:?}", paused.answers);
        };
        assert_eq!(timer.remaining_at(T0 + 10 * 60_000), 7 * 60_000 - 90_000);
        assert_eq!(w.view().timer, *timer, "and it is in the workshop document");
    }

    #[test]
    fn an_idle_workshop_retires_only_when_nothing_happened_since() {
        let mut w = workshop(FormId::ThreeLevels);
        join(&mut w, "Anna", T0 + 5_000);
        let busy = w.turn(
            [Input::Retire {
                force: false,
                idle_before: T0 + 5_000,
            }],
            T0 + 6_000,
        );
        assert!(matches!(busy.answers[..], [Answer::Retire(false)]) && !busy.retire);
        let idle = w.turn(
            [Input::Retire {
                force: false,
                idle_before: T0 + 5_001,
            }],
            T0 + 7_000,
        );
        assert!(matches!(idle.answers[..], [Answer::Retire(true)]) && idle.retire);
    }

    fn form_duo(w: &mut Workshop, members: Vec<ParticipantId>) -> kring_shared::ids::DuoId {
        let duo = kring_shared::ids::DuoId::random();
        let doc = w.hub.workshop_document();
        w.hub
            .change(doc, |tx| {
                workshop_schema::set_duos(
                    tx,
                    &[workshop_schema::DuoEntry {
                        id: duo,
                        members,
                        doc: None,
                        number: None,
                    }],
                )?;
                workshop_schema::set_step(tx, Step::Duos)
            })
            .unwrap();
        duo
    }

    fn duo_rooms(write: &WriteBatch) -> usize {
        write
            .documents
            .iter()
            .filter(|d| matches!(d.kind, DocKind::Duo { .. }))
            .count()
    }

    #[test]
    fn a_node_without_the_lease_opens_no_documents_and_purges_nothing_until_it_gets_it() {
        let mut w = workshop(FormId::ThreeLevels).follower();
        let first = w.turn([], T0);
        assert!(first.write.documents.is_empty(), "not even the table");
        let anna = join(&mut w, "Anna", T0);
        let bert = join(&mut w, "Bert", T0);
        form_duo(&mut w, vec![anna.participant_id, bert.participant_id]);
        let formed = w.turn([Input::Maintain], T0 + 1);
        assert_eq!(duo_rooms(&formed.write), 0, "the holder opens the room");
        set_step(&mut w, Step::Closed);
        let closed = w.turn([Input::Maintain], T0 + 2);
        let late = w.turn([Input::Maintain], T0 + 2 + GRACE_MS);
        assert!(closed.write.purge.is_empty() && late.write.purge.is_empty());
        assert!(w.hub.document(&anna.reflection_doc).is_some());

        // The lease comes: the room, the table and the purge follow in that turn.
        let lead = w.turn([Input::Lead(true)], T0 + 3 + GRACE_MS);
        assert_eq!(duo_rooms(&lead.write), 1);
        assert!(
            lead.write
                .documents
                .iter()
                .any(|d| d.kind == DocKind::Table)
        );
        assert_eq!(lead.write.purge.len(), 2, "both reflections");
        // Losing it again stops the work: a reopened and closed workshop is not purged here.
        w.turn([Input::Lead(false)], T0 + 4 + GRACE_MS);
        assert!(!w.is_leader());
    }

    #[test]
    fn another_nodes_write_reaches_local_peers_and_is_never_written_again() {
        // Two nodes' copies of one workshop: the same workshop document, loaded twice.
        let mut origin = workshop(FormId::ThreeLevels);
        let ws_doc = origin.hub.workshop_document();
        let bytes = origin.hub.document(&ws_doc).unwrap().save();
        let hub = Hub::new(
            super::super::server_peer_id(origin.id),
            ws_doc,
            Automerge::load(&bytes).unwrap(),
        );
        let mut replica_node = Workshop::new(origin.id, hub, None, GRACE_MS, T0).follower();
        let facilitator = Principal::facilitator(FacilitatorId::random());
        let connected = replica_node.turn([connect("fac", 1, facilitator)], T0);
        assert!(connected.write.chunks.is_empty());

        let turn = origin.turn(
            [Input::AddParticipant {
                name: "Anna".into(),
                organisation: "CAW".into(),
            }],
            T0 + 1,
        );
        let Some(Answer::AddParticipant(Ok(anna))) = turn.answers.first() else {
            panic!("{:?}", turn.answers);
        };
        let replica = Replica {
            documents: turn
                .write
                .documents
                .iter()
                .map(|d| (d.id, d.kind))
                .collect(),
            chunks: turn.write.chunks.clone(),
            purge: vec![],
        };
        let applied = replica_node.turn([Input::Replica(replica.clone())], T0 + 2);
        assert!(matches!(
            applied.answers[..],
            [Answer::Replica { doubt: false }]
        ));
        assert!(applied.write.chunks.is_empty() && applied.write.documents.is_empty());
        assert!(replica_node.hub.document(&anna.reflection_doc).is_some());
        assert_eq!(replica_node.view().roster.len(), 1);
        // Twice is once: nothing new, nothing to write.
        let again = replica_node.turn([Input::Replica(replica)], T0 + 3);
        assert!(matches!(
            again.answers[..],
            [Answer::Replica { doubt: false }]
        ));
        assert!(again.write.chunks.is_empty());
        // A change to a document never heard of is a doubt (reload from the store).
        let unknown = replica_node.turn(
            [Input::Replica(Replica {
                chunks: vec![(DocumentId::random(), vec![1, 2, 3])],
                ..Replica::default()
            })],
            T0 + 4,
        );
        assert!(matches!(
            unknown.answers[..],
            [Answer::Replica { doubt: true }]
        ));
    }

    #[test]
    fn presence_counts_other_nodes_peers_until_their_node_stops_repeating_them() {
        let mut w = workshop(FormId::ThreeLevels);
        let facilitator = Principal::facilitator(FacilitatorId::random());
        let here = w.turn([connect("fac", 1, facilitator)], T0);
        assert_eq!(
            here.local_presence.as_ref().map(|p| p.facilitators),
            Some(1),
            "the other nodes are told who is here"
        );
        let anna = ParticipantId::random();
        let elsewhere = Presence {
            online: vec![anna],
            facilitators: 0,
            screens: 1,
        };
        let heard = w.turn(
            [Input::RemotePresence {
                node: "b".into(),
                presence: elsewhere.clone(),
            }],
            T0 + 1_000,
        );
        assert!(heard.local_presence.is_none(), "never echoed back");
        let merged = presences(&heard);
        assert_eq!(merged.len(), 1);
        assert_eq!(merged[0].1.online, vec![anna]);
        assert_eq!((merged[0].1.facilitators, merged[0].1.screens), (1, 1));

        // Node b dies: it stops repeating, and once its presence expires Anna is offline.
        let expiry = T0 + 1_000 + REMOTE_PRESENCE_TTL_MS;
        assert_eq!(w.wake_at(T0 + 2_000), Some(expiry));
        assert!(presences(&w.turn([], expiry - 1)).is_empty());
        let expired = presences(&w.turn([], expiry));
        assert_eq!(expired.len(), 1);
        assert!(expired[0].1.online.is_empty());
        assert_eq!(expired[0].1.screens, 0);
    }

    #[test]
    fn a_replaced_connection_cannot_disconnect_its_successor() {
        let mut w = workshop(FormId::ThreeLevels);
        let anna = Principal::participant(ParticipantId::random());
        w.turn([connect("anna", 1, anna), connect("anna", 2, anna)], T0);
        w.turn(
            [Input::Disconnect {
                peer: PeerId::new("anna"),
                conn: 1,
            }],
            T0 + 1,
        );
        assert!(w.is_connected(&PeerId::new("anna"), 2));
        let other = w.turn(
            [connect(
                "anna",
                3,
                Principal::participant(ParticipantId::random()),
            )],
            T0 + 2,
        );
        assert!(matches!(other.answers[..], [Answer::Connect(Err(_))]));
    }

    #[test]
    fn a_turn_at_the_answer_timeout_sends_a_silent_peer_what_it_is_owed() {
        use kring_shared::engine::client::ClientRepo;
        use kring_shared::engine::hub::ANSWER_TIMEOUT_MS;

        let mut w = workshop(FormId::ThreeLevels);
        let doc = w.hub.workshop_document();
        let server = w.hub.peer_id().clone();
        let mut clients: Vec<ClientRepo> =
            ["f", "s"].map(|p| ClientRepo::new(PeerId::new(p))).into();
        let principals = [
            Principal::facilitator(FacilitatorId::random()),
            Principal::screen(),
        ];
        let mut now = T0;
        let mut inputs = Vec::new();
        for (i, c) in clients.iter_mut().enumerate() {
            inputs.push(connect(c.peer_id().0.as_str(), i as u64, principals[i]));
            c.receive(Message::Peer {
                sender_id: server.clone(),
                target_id: c.peer_id().clone(),
                selected_protocol_version: "1".into(),
                peer_metadata: None,
            });
        }
        w.turn(inputs, now);
        // Delivers until quiet; what goes to a client in `silent` is counted, not delivered.
        let run = |w: &mut Workshop,
                   clients: &mut Vec<ClientRepo>,
                   mut queue: Vec<(usize, Message)>,
                   now: i64,
                   silent: Option<usize>| {
            let mut withheld = 0;
            while !queue.is_empty() {
                let inputs = queue
                    .drain(..)
                    .map(|(i, message)| Input::Receive {
                        peer: clients[i].peer_id().clone(),
                        message,
                    })
                    .collect::<Vec<_>>();
                for (to, m) in w.turn(inputs, now).send {
                    let i = clients.iter().position(|c| *c.peer_id() == to).unwrap();
                    if !matches!(m, Message::Sync(_)) {
                        continue;
                    }
                    if Some(i) == silent {
                        withheld += 1;
                        continue;
                    }
                    let (out, _) = clients[i].receive(m);
                    queue.extend(out.into_iter().map(|o| (i, o)));
                }
            }
            withheld
        };
        let opens: Vec<(usize, Message)> = (0..2)
            .flat_map(|i| clients[i].open(doc).into_iter().map(move |m| (i, m)))
            .collect();
        run(&mut w, &mut clients, opens, now, None);
        // The screen stops answering; the facilitator retitles twice.
        let mut withheld = 0;
        for title in ["een", "twee"] {
            now += 10;
            clients[0]
                .change(&doc, |tx| {
                    use automerge::transaction::Transactable;
                    tx.put(automerge::ROOT, "title", title)
                })
                .unwrap()
                .unwrap();
            let out = clients[0].flush().into_iter().map(|m| (0, m)).collect();
            withheld += run(&mut w, &mut clients, out, now, Some(1));
        }
        assert_eq!(withheld, 1, "the second change waits for an answer");
        let due = w.wake_at(now).expect("the workshop wakes for it");
        assert!(due <= T0 + 10 + ANSWER_TIMEOUT_MS, "{due}");
        let early = w.turn([], due - 1);
        assert!(!early.send.iter().any(|(to, _)| to.0 == "s"), "not before");
        let turn = w.turn([], due);
        let owed: Vec<Message> = turn
            .send
            .into_iter()
            .filter(|(to, m)| to.0 == "s" && matches!(m, Message::Sync(_)))
            .map(|(_, m)| m)
            .collect();
        assert_eq!(owed.len(), 1, "at the timeout, without an answer");
    }
}
