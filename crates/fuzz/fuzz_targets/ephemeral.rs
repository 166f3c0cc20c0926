//! Fuzz target: ephemeral messages as the server's hub receives them, from a facilitator (who
//! may write both documents) on the workshop document or the table. The first byte picks the
//! document; the rest is the payload. No input may panic; a payload is forwarded only when
//! `ephemeral::check_from_client` accepts it for that document (only a well-formed drag on the
//! table), and then only to the other reader, never back to its sender.
#![no_main]

use std::sync::OnceLock;

use automerge::Automerge;
use kring_shared::access::{DocKind, Principal, Role};
use kring_shared::engine::hub::Hub;
use kring_shared::ephemeral::check_from_client;
use kring_shared::ids::{DocumentId, FacilitatorId, PeerId};
use kring_shared::protocol::{Bytes, Message};
use kring_shared::schema::table;
use libfuzzer_sys::fuzz_target;

mod common;
use common::workshop_doc;

/// A fresh table document, made once.
fn table_doc() -> Automerge {
    static DOC: OnceLock<Automerge> = OnceLock::new();
    DOC.get_or_init(|| {
        let mut doc = Automerge::new();
        doc.transact::<_, _, automerge::AutomergeError>(|tx| table::init(tx))
            .expect("init");
        doc
    })
    .clone()
}

fn facilitator(n: u8) -> Principal {
    Principal {
        role: Role::Facilitator,
        participant: None,
        facilitator: Some(FacilitatorId(uuid::Uuid::from_bytes([n; 16]))),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, payload)) = data.split_first() else {
        return;
    };
    let ws = DocumentId(uuid::Uuid::from_bytes([7; 16]));
    let table_doc = DocumentId(uuid::Uuid::from_bytes([8; 16]));
    let mut hub = Hub::new(PeerId::new("server"), ws, workshop_doc());
    hub.insert_document(table_doc, DocKind::Table, self::table_doc());
    let (sender, reader) = (PeerId::new("sender"), PeerId::new("reader"));
    hub.connect(sender.clone(), facilitator(1));
    hub.connect(reader.clone(), facilitator(2));
    let (doc, kind) = if which % 2 == 0 {
        (ws, DocKind::Workshop)
    } else {
        (table_doc, DocKind::Table)
    };
    let fx = hub.receive(
        &sender,
        Message::Ephemeral {
            sender_id: sender.clone(),
            target_id: PeerId::new("server"),
            count: 1,
            session_id: "s".into(),
            document_id: doc,
            data: Bytes::copy_from_slice(payload),
        },
    );
    let forwarded: Vec<&PeerId> = fx
        .send
        .iter()
        .filter(|(_, m)| matches!(m, Message::Ephemeral { .. }))
        .map(|(to, _)| to)
        .collect();
    if check_from_client(&kind, payload).is_ok() {
        assert_eq!(forwarded, vec![&reader]);
    } else {
        assert!(forwarded.is_empty(), "a refused payload was forwarded");
        assert_eq!(fx.refused.len(), 1);
    }
});
