//! Inputs the fuzz targets in `crates/fuzz` found to crash something, kept as regression tests.

use automerge::Automerge;
use automerge::sync;
use kring_shared::access::{Principal, Role};
use kring_shared::engine::hub::Hub;
use kring_shared::ids::{DocumentId, FacilitatorId, PeerId};
use kring_shared::limits::{MAX_INFLATED_BYTES, inflated_size};
use kring_shared::protocol::{DocMessage, Message};
use kring_shared::schema::workshop;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// A hub holding a fresh workshop document, with one facilitator (who may write) connected.
fn workshop_hub(peer: &str) -> (Hub, DocumentId, PeerId) {
    let doc_id = DocumentId(uuid::Uuid::from_bytes([7; 16]));
    let mut doc = Automerge::new();
    doc.transact::<_, _, automerge::AutomergeError>(|tx| workshop::init(tx, "W", "nl"))
        .unwrap();
    let mut hub = Hub::new(PeerId::new("server"), doc_id, doc);
    let peer = PeerId::new(peer);
    hub.connect(
        peer.clone(),
        Principal {
            role: Role::Facilitator,
            participant: None,
            facilitator: Some(FacilitatorId(uuid::Uuid::from_bytes([1; 16]))),
        },
    );
    (hub, doc_id, peer)
}

/// `change_chunks` found this 30-byte document chunk: it passes the inflation guard, and
/// automerge 0.12 panics on it (an `unwrap` in hexane's RLE decoder). Sent by a writer in a
/// sync message, the hub must refuse it with an error, keep the document, and go on.
#[test]
fn a_chunk_that_panics_automerge_is_refused_not_a_crash() {
    let chunk = hex("856f4a83460000ff031400000001230300ffffffffffffff0e32fff8efb8");
    assert!(inflated_size([chunk.as_slice()], MAX_INFLATED_BYTES).is_ok());

    let (mut hub, doc_id, peer) = workshop_hub("writer");
    let before = hub.document(&doc_id).unwrap().get_heads();
    let data = sync::Message {
        heads: vec![],
        need: vec![],
        have: vec![],
        changes: vec![chunk].into(),
        flags: None,
        version: sync::MessageVersion::V1,
    }
    .encode();
    let fx = hub.receive(
        &peer,
        Message::Sync(DocMessage {
            sender_id: peer.clone(),
            target_id: PeerId::new("server"),
            document_id: doc_id,
            data: data.into(),
        }),
    );
    assert_eq!(fx.refused.len(), 1, "{:?}", fx.refused);
    assert!(fx.persist.is_empty());
    assert_eq!(hub.document(&doc_id).unwrap().get_heads(), before);
    // The hub still serves the peer.
    let fx = hub.receive(
        &peer,
        Message::Request(DocMessage {
            sender_id: peer.clone(),
            target_id: PeerId::new("server"),
            document_id: doc_id,
            data: sync::Message {
                heads: vec![],
                need: vec![],
                have: vec![],
                changes: Vec::<Vec<u8>>::new().into(),
                flags: None,
                version: sync::MessageVersion::V1,
            }
            .encode()
            .into(),
        }),
    );
    assert!(fx.refused.is_empty(), "{:?}", fx.refused);
    assert!(!fx.send.is_empty());
}

/// `sync_message` found this 13-byte sync message (in CI): its Bloom filter declares 49 entries
/// with zero bits each, and automerge 0.12 divides by zero when the server probes it to build its
/// reply — a panic outside the trial apply, which would take the workshop task down. The hub
/// must refuse it before automerge sees it, and keep serving the peer.
#[test]
fn a_bloom_filter_without_bits_is_refused_not_a_crash() {
    let (mut hub, doc_id, peer) = workshop_hub("reader");
    let sync = |data: Vec<u8>| {
        Message::Sync(DocMessage {
            sender_id: PeerId::new("reader"),
            target_id: PeerId::new("server"),
            document_id: doc_id,
            data: data.into(),
        })
    };
    let fx = hub.receive(&peer, sync(vec![67, 0, 0, 2, 0, 4, 49, 0, 0, 0, 0, 0, 0]));
    assert_eq!(fx.refused.len(), 1, "{:?}", fx.refused);
    assert!(
        fx.refused[0].reason.contains("Bloom filter"),
        "{:?}",
        fx.refused
    );
    // A well-formed message still syncs.
    let fx = hub.receive(
        &peer,
        sync(
            sync::Message {
                heads: vec![],
                need: vec![],
                have: vec![],
                changes: Vec::<Vec<u8>>::new().into(),
                flags: None,
                version: sync::MessageVersion::V1,
            }
            .encode(),
        ),
    );
    assert!(fx.refused.is_empty(), "{:?}", fx.refused);
    assert!(!fx.send.is_empty());
}
