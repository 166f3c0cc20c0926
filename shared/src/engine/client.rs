//! The client side of the sync engine: one peer, one server, any number of open documents.
//!
//! Local edits apply to the local document at once; [`ClientRepo::flush`] turns whatever changed
//! into sync messages, so a driver can batch keystrokes by calling it on a short timer. While
//! disconnected, edits keep applying locally and go out when the connection returns.

use std::collections::BTreeMap;

use automerge::sync::{self, SyncDoc};
use automerge::transaction::Transaction;
use automerge::{Automerge, AutomergeError};

use super::next_sync_message;
use crate::ids::{DocumentId, PeerId};
use crate::protocol::{Message, PROTOCOL_VERSION, PeerMetadata};

/// Where a document stands with the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocStatus {
    /// Asked for, no answer yet.
    Loading,
    /// The server has sent at least one sync message for it.
    Ready,
    /// The server says we may not have it (or it does not exist).
    Unavailable,
}

/// Something the application may want to react to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientEvent {
    Connected {
        server: PeerId,
    },
    DocChanged(DocumentId),
    DocUnavailable(DocumentId),
    Ephemeral {
        document_id: DocumentId,
        from: PeerId,
        data: Vec<u8>,
    },
    ServerError(String),
}

#[derive(Clone)]
struct ClientDoc {
    doc: Automerge,
    state: sync::State,
    status: DocStatus,
}

/// One client's documents and its sync with one server.
#[derive(Clone)]
pub struct ClientRepo {
    id: PeerId,
    server: Option<PeerId>,
    docs: BTreeMap<DocumentId, ClientDoc>,
    ephemeral_count: u64,
}

impl ClientRepo {
    pub fn new(id: PeerId) -> Self {
        Self {
            id,
            server: None,
            docs: BTreeMap::new(),
            ephemeral_count: 0,
        }
    }

    pub fn peer_id(&self) -> &PeerId {
        &self.id
    }

    /// The server's peer id, once it has answered `join`.
    pub fn server(&self) -> Option<&PeerId> {
        self.server.as_ref()
    }

    pub fn is_connected(&self) -> bool {
        self.server.is_some()
    }

    /// The first message on a fresh connection.
    pub fn join_message(&self) -> Message {
        Message::Join {
            sender_id: self.id.clone(),
            supported_protocol_versions: vec![PROTOCOL_VERSION.into()],
            peer_metadata: Some(PeerMetadata {
                storage_id: None,
                is_ephemeral: true,
            }),
        }
    }

    /// The connection dropped: sync restarts from scratch on the next connection. The documents
    /// (and any edits made meanwhile) stay.
    pub fn disconnected(&mut self) {
        self.server = None;
        for d in self.docs.values_mut() {
            d.state = sync::State::new();
        }
    }

    /// Opens a document (empty until synced) and returns what to send.
    pub fn open(&mut self, id: DocumentId) -> Vec<Message> {
        self.open_with(id, Automerge::new())
    }

    /// Opens a document from locally kept bytes (e.g. the browser's storage). A document the
    /// server said was unavailable is asked for again (access may have changed since).
    pub fn open_with(&mut self, id: DocumentId, doc: Automerge) -> Vec<Message> {
        let entry = self.docs.entry(id).or_insert(ClientDoc {
            doc,
            state: sync::State::new(),
            status: DocStatus::Loading,
        });
        if entry.status == DocStatus::Unavailable {
            entry.status = DocStatus::Loading;
            entry.state = sync::State::new();
        }
        self.flush()
    }

    pub fn doc(&self, id: &DocumentId) -> Option<&Automerge> {
        self.docs.get(id).map(|d| &d.doc)
    }

    pub fn status(&self, id: &DocumentId) -> Option<DocStatus> {
        self.docs.get(id).map(|d| d.status)
    }

    /// Whether the server has told us it holds every change we have of this document. The server
    /// persists before it announces heads, so an acknowledged change is on its disk.
    pub fn is_acknowledged(&self, id: &DocumentId) -> bool {
        self.docs.get(id).is_some_and(|d| {
            let mut ours = d.doc.get_heads();
            ours.sort();
            d.state.their_heads.as_ref().is_some_and(|theirs| {
                let mut theirs = theirs.clone();
                theirs.sort();
                theirs == ours
            })
        })
    }

    /// Edits a document locally. Call [`flush`](Self::flush) to send.
    pub fn change<O>(
        &mut self,
        id: &DocumentId,
        f: impl FnOnce(&mut Transaction<'_>) -> Result<O, AutomergeError>,
    ) -> Option<Result<O, AutomergeError>> {
        let d = self.docs.get_mut(id)?;
        Some(d.doc.transact(f).map(|s| s.result).map_err(|f| f.error))
    }

    /// Sync messages for every document that has something to say.
    pub fn flush(&mut self) -> Vec<Message> {
        let Some(server) = self.server.clone() else {
            return vec![];
        };
        let mut out = Vec::new();
        for (id, d) in self.docs.iter_mut() {
            if d.status == DocStatus::Unavailable {
                continue;
            }
            let as_request = d.status == DocStatus::Loading && d.doc.get_heads().is_empty();
            if let Some(m) =
                next_sync_message(&d.doc, &mut d.state, &self.id, &server, *id, as_request)
            {
                out.push(m);
            }
        }
        out
    }

    /// An ephemeral message (presence, a drag in progress) for everyone reading `id`.
    pub fn ephemeral(&mut self, id: DocumentId, data: Vec<u8>) -> Option<Message> {
        let server = self.server.clone()?;
        self.ephemeral_count += 1;
        Some(Message::Ephemeral {
            sender_id: self.id.clone(),
            target_id: server,
            count: self.ephemeral_count,
            session_id: self.id.0.clone(),
            document_id: id,
            data: data.into(),
        })
    }

    /// Handles one message from the server: returns what to send back and what happened.
    pub fn receive(&mut self, msg: Message) -> (Vec<Message>, Vec<ClientEvent>) {
        let mut events = Vec::new();
        match msg {
            Message::Peer { sender_id, .. } => {
                self.server = Some(sender_id.clone());
                events.push(ClientEvent::Connected { server: sender_id });
                return (self.flush(), events);
            }
            Message::Sync(m) | Message::Request(m) => {
                let Some(d) = self.docs.get_mut(&m.document_id) else {
                    return (vec![], events);
                };
                match sync::Message::decode(&m.data) {
                    Ok(sm) => {
                        let before = d.doc.get_heads();
                        if let Err(e) = d.doc.receive_sync_message(&mut d.state, sm) {
                            events.push(ClientEvent::ServerError(e.to_string()));
                        }
                        let first = d.status != DocStatus::Ready;
                        d.status = DocStatus::Ready;
                        if first || d.doc.get_heads() != before {
                            events.push(ClientEvent::DocChanged(m.document_id));
                        }
                    }
                    Err(e) => events.push(ClientEvent::ServerError(e.to_string())),
                }
            }
            Message::DocUnavailable { document_id, .. } => {
                if let Some(d) = self.docs.get_mut(&document_id) {
                    d.status = DocStatus::Unavailable;
                }
                events.push(ClientEvent::DocUnavailable(document_id));
            }
            Message::Ephemeral {
                sender_id,
                document_id,
                data,
                ..
            } => events.push(ClientEvent::Ephemeral {
                document_id,
                from: sender_id,
                data: data.into(),
            }),
            Message::Error {
                message,
                document_id,
                ..
            } => {
                // The server refused what we sent for this document, and refuses every later
                // change built on it: start over from the server's copy, so the next edit lands.
                if let Some(id) = document_id
                    && let Some(d) = self.docs.get_mut(&id)
                    && d.status != DocStatus::Unavailable
                {
                    d.doc = Automerge::new();
                    d.state = sync::State::new();
                    d.status = DocStatus::Loading;
                    events.push(ClientEvent::DocChanged(id));
                }
                events.push(ClientEvent::ServerError(message));
            }
            Message::Join { .. } | Message::Leave { .. } | Message::Unknown { .. } => {}
        }
        (self.flush(), events)
    }
}
