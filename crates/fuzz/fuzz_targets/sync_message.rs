//! Fuzz target: sync message bytes as the server receives them — handed to the server-side hub
//! of a real workshop from a connected facilitator (who may write), so they go through the
//! automerge sync decoder, the inflation guard, the trial apply and the schema check. No input
//! may panic, and a refused message must leave the document as it was. Each input is received
//! twice, so changes with missing dependencies reach the hub's budget for waiting changes.
#![no_main]

use std::sync::Once;
use std::sync::atomic::{AtomicUsize, Ordering};

use kring_shared::access::{Principal, Role};
use kring_shared::engine::hub::Hub;
use kring_shared::ids::{DocumentId, FacilitatorId, PeerId};
use kring_shared::protocol::{Bytes, DocMessage, Message};
use libfuzzer_sys::fuzz_target;

mod common;
use common::workshop_doc;

/// libfuzzer-sys aborts in its panic hook, before any `catch_unwind` runs. Kring contains
/// automerge's panics on malformed chunks (see `engine/hub.rs`), so this target puts back a
/// hook that only reports; a panic that is not contained still aborts the run as a crash.
fn report_panics_only() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The first few are reported; thousands of them would only bury the log.
        static SEEN: AtomicUsize = AtomicUsize::new(0);
        std::panic::set_hook(Box::new(|info| {
            if SEEN.fetch_add(1, Ordering::Relaxed) < 3 {
                eprintln!("panic (contained if caught): {info}");
            }
        }))
    });
}

fuzz_target!(|data: &[u8]| {
    report_panics_only();
    let doc_id = DocumentId(uuid::Uuid::from_bytes([7; 16]));
    let mut hub = Hub::new(PeerId::new("server"), doc_id, workshop_doc());
    let peer = PeerId::new("fuzzer");
    hub.connect(
        peer.clone(),
        Principal {
            role: Role::Facilitator,
            participant: None,
            facilitator: Some(FacilitatorId(uuid::Uuid::from_bytes([1; 16]))),
        },
    );
    let before = hub.document(&doc_id).expect("doc").get_heads();
    let fx = hub.receive(
        &peer,
        Message::Sync(DocMessage {
            sender_id: peer.clone(),
            target_id: PeerId::new("server"),
            document_id: doc_id,
            data: Bytes::copy_from_slice(data),
        }),
    );
    if !fx.refused.is_empty() {
        assert_eq!(hub.document(&doc_id).expect("doc").get_heads(), before);
        assert!(fx.persist.is_empty());
    }
    // The same bytes again: changes that wait for missing dependencies pile up in automerge's
    // queue, and the hub's budget for them (`MAX_QUEUED_BYTES`) must hold without a panic.
    let _ = hub.receive(
        &peer,
        Message::Sync(DocMessage {
            sender_id: peer.clone(),
            target_id: PeerId::new("server"),
            document_id: doc_id,
            data: Bytes::copy_from_slice(data),
        }),
    );
});
