//! Fuzz target: what one node reads from NATS (`kring_server::cluster::codec`): a turn's replica
//! and a relayed ephemeral message. Only Kring nodes publish there, but a NATS server shared with
//! something else, or a bug, must not take a node down: no input may panic, and whatever decodes
//! encodes back to the same value.
#![no_main]

use kring_server::cluster::codec::{decode_relay, decode_replica, encode_relay, encode_replica};
use kring_server::store::{DocumentRow, WriteBatch};
use kring_shared::ids::WorkshopId;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(relay) = decode_relay(data) {
        assert_eq!(decode_relay(&encode_relay(&relay)).ok(), Some(relay));
    }
    if let Ok(replica) = decode_replica(data) {
        let workshop_id = WorkshopId::random();
        let write = WriteBatch {
            documents: replica
                .documents
                .iter()
                .map(|(id, kind)| DocumentRow {
                    id: *id,
                    workshop_id,
                    kind: *kind,
                })
                .collect(),
            chunks: replica.chunks.clone(),
            purge: replica.purge.clone(),
            ..WriteBatch::default()
        };
        match encode_replica(&write) {
            Some(bytes) => assert_eq!(decode_replica(&bytes).ok(), Some(replica)),
            None => assert_eq!(replica, Default::default()),
        }
    }
});
