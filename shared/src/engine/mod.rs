//! The sans-IO sync engine: bytes and events in, messages and storage writes out.
//!
//! - [`hub`]: the server side of one workshop — many peers, per-document access, schema checks.
//! - [`ack`]: a peer's acknowledgement taken in without automerge's walk over the whole history.
//! - [`client`]: one peer talking to one server — the browser, the test client, the load generator.
//!
//! Architecture Invariant: nothing here spawns, sleeps, reads a clock or touches a socket. The
//! server drives the hub from a tokio task, the browser drives the client from WebSocket
//! callbacks, and the tests drive both through an in-memory queue.

pub mod ack;
pub mod client;
pub mod hub;

use automerge::Automerge;
use automerge::sync::{self, SyncDoc};

use crate::ids::{DocumentId, PeerId};
use crate::protocol::{DocMessage, Message};

/// The whole document in its compact form, *without* changes that still wait for their
/// dependencies: automerge's plain `save` keeps those (`retain_orphans`), so a snapshot would
/// carry a peer's orphans into storage and back into memory on every load.
pub fn snapshot(doc: &Automerge) -> Vec<u8> {
    doc.save_with_options(automerge::SaveOptions {
        retain_orphans: false,
        ..automerge::SaveOptions::default()
    })
}

/// The next sync message for one peer and one document, if there is anything to say.
pub(crate) fn next_sync_message(
    doc: &Automerge,
    state: &mut sync::State,
    from: &PeerId,
    to: &PeerId,
    document_id: DocumentId,
    as_request: bool,
) -> Option<Message> {
    let msg = doc.generate_sync_message(state)?;
    let m = DocMessage {
        sender_id: from.clone(),
        target_id: to.clone(),
        document_id,
        data: msg.encode().into(),
    };
    Some(if as_request {
        Message::Request(m)
    } else {
        Message::Sync(m)
    })
}
