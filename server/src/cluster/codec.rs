//! What goes over NATS, as CBOR: a turn's durable writes ([`Replica`]: new documents with their
//! kinds, changes as automerge's incremental bytes, purged documents) and relayed ephemeral
//! messages ([`Relay`]). Only Kring nodes publish on these subjects, but a message that does not
//! decode is still an error, never a panic.

use ciborium::Value;
use kring_shared::ids::{DocumentId, PeerId};

use crate::store::{WriteBatch, doc_kind, doc_kind_columns};
use crate::workshop::core::{Relay, Replica};

/// Why a message did not decode.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct DecodeError(String);

fn bad(what: &str) -> DecodeError {
    DecodeError(format!("malformed cluster message: {what}"))
}

/// The replica of a turn's write, or `None` when it wrote nothing another node needs (its
/// activity row and snapshots are this node's business: snapshots hold nothing new).
pub fn encode_replica(write: &WriteBatch) -> Option<Vec<u8>> {
    if write.documents.is_empty() && write.chunks.is_empty() && write.purge.is_empty() {
        return None;
    }
    let documents = write
        .documents
        .iter()
        .map(|d| {
            let (kind, owner) = doc_kind_columns(d.kind);
            Value::Array(vec![
                Value::Text(d.id.to_string()),
                Value::Text(kind.to_owned()),
                owner.map_or(Value::Null, Value::Text),
            ])
        })
        .collect();
    let chunks = write
        .chunks
        .iter()
        .map(|(d, bytes)| {
            Value::Array(vec![
                Value::Text(d.to_string()),
                Value::Bytes(bytes.clone()),
            ])
        })
        .collect();
    let purge = write
        .purge
        .iter()
        .map(|d| Value::Text(d.to_string()))
        .collect();
    let value = Value::Array(vec![
        Value::Array(documents),
        Value::Array(chunks),
        Value::Array(purge),
    ]);
    let mut out = Vec::new();
    ciborium::into_writer(&value, &mut out).ok()?;
    Some(out)
}

fn array(v: Value, what: &str) -> Result<Vec<Value>, DecodeError> {
    match v {
        Value::Array(a) => Ok(a),
        _ => Err(bad(what)),
    }
}

fn text(v: Value, what: &str) -> Result<String, DecodeError> {
    match v {
        Value::Text(t) => Ok(t),
        _ => Err(bad(what)),
    }
}

fn document_id(v: Value) -> Result<DocumentId, DecodeError> {
    text(v, "document id")?
        .parse()
        .map_err(|_| bad("document id"))
}

fn fields<const N: usize>(v: Value, what: &str) -> Result<[Value; N], DecodeError> {
    array(v, what)?.try_into().map_err(|_| bad(what))
}

pub fn decode_replica(bytes: &[u8]) -> Result<Replica, DecodeError> {
    let value: Value = ciborium::from_reader(bytes).map_err(|e| DecodeError(e.to_string()))?;
    let [documents, chunks, purge] = fields(value, "replica")?;
    let documents = array(documents, "documents")?
        .into_iter()
        .map(|d| {
            let [id, kind, owner] = fields(d, "document")?;
            let owner = match owner {
                Value::Null => None,
                v => Some(text(v, "owner")?),
            };
            let kind = doc_kind(&text(kind, "kind")?, owner).map_err(|_| bad("kind"))?;
            Ok((document_id(id)?, kind))
        })
        .collect::<Result<_, DecodeError>>()?;
    let chunks = array(chunks, "chunks")?
        .into_iter()
        .map(|c| {
            let [id, data] = fields(c, "chunk")?;
            match data {
                Value::Bytes(b) => Ok((document_id(id)?, b)),
                _ => Err(bad("chunk bytes")),
            }
        })
        .collect::<Result<_, DecodeError>>()?;
    let purge = array(purge, "purge")?
        .into_iter()
        .map(document_id)
        .collect::<Result<_, DecodeError>>()?;
    Ok(Replica {
        documents,
        chunks,
        purge,
    })
}

pub fn encode_relay(r: &Relay) -> Vec<u8> {
    let value = Value::Array(vec![
        Value::Text(r.sender.0.clone()),
        Value::Text(r.document_id.to_string()),
        Value::Text(r.session_id.clone()),
        Value::Integer(r.count.into()),
        Value::Bytes(r.data.clone()),
    ]);
    let mut out = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = ciborium::into_writer(&value, &mut out);
    out
}

pub fn decode_relay(bytes: &[u8]) -> Result<Relay, DecodeError> {
    let value: Value = ciborium::from_reader(bytes).map_err(|e| DecodeError(e.to_string()))?;
    let [sender, doc, session, count, data] = fields(value, "relay")?;
    let count = match count {
        Value::Integer(i) => u64::try_from(i).map_err(|_| bad("count"))?,
        _ => return Err(bad("count")),
    };
    let Value::Bytes(data) = data else {
        return Err(bad("data"));
    };
    Ok(Relay {
        sender: PeerId::new(text(sender, "sender")?),
        document_id: document_id(doc)?,
        session_id: text(session, "session")?,
        count,
        data,
    })
}

#[cfg(test)]
mod tests {
    use kring_shared::access::DocKind;
    use kring_shared::ids::{ParticipantId, WorkshopId};

    use super::*;
    use crate::store::DocumentRow;

    #[test]
    fn a_replica_comes_back_as_it_was_written() {
        let (reflection, owner) = (DocumentId::random(), ParticipantId::random());
        let workshop_doc = DocumentId::random();
        let write = WriteBatch {
            documents: vec![DocumentRow {
                id: reflection,
                workshop_id: WorkshopId::random(),
                kind: DocKind::Reflection { owner },
            }],
            chunks: vec![(workshop_doc, vec![1, 2, 3]), (reflection, vec![4])],
            purge: vec![DocumentId::random()],
            ..WriteBatch::default()
        };
        let replica = decode_replica(&encode_replica(&write).unwrap()).unwrap();
        assert_eq!(
            replica,
            Replica {
                documents: vec![(reflection, DocKind::Reflection { owner })],
                chunks: write.chunks.clone(),
                purge: write.purge.clone(),
            }
        );
        assert!(
            encode_replica(&WriteBatch::default()).is_none(),
            "nothing to tell"
        );
    }

    /// What the `cluster_codec` fuzz target checks, on every truncation and every one-byte
    /// change of valid messages: nothing panics, and what decodes encodes back to itself.
    #[test]
    fn damaged_messages_never_panic_and_what_decodes_round_trips() {
        let write = WriteBatch {
            documents: vec![DocumentRow {
                id: DocumentId::random(),
                workshop_id: WorkshopId::random(),
                kind: DocKind::Voice {
                    owner: ParticipantId::random(),
                },
            }],
            chunks: vec![(DocumentId::random(), vec![7; 40])],
            purge: vec![DocumentId::random()],
            ..WriteBatch::default()
        };
        let relay = Relay {
            sender: PeerId::new("p"),
            document_id: DocumentId::random(),
            session_id: "s".into(),
            count: u64::MAX,
            data: vec![1, 2, 3],
        };
        for valid in [encode_replica(&write).unwrap(), encode_relay(&relay)] {
            let mut damaged: Vec<Vec<u8>> = (0..valid.len()).map(|n| valid[..n].to_vec()).collect();
            for i in 0..valid.len() {
                for flip in [0x01, 0x20, 0x80, 0xff] {
                    let mut d = valid.clone();
                    d[i] ^= flip;
                    damaged.push(d);
                }
            }
            for d in damaged {
                if let Ok(r) = decode_relay(&d) {
                    assert_eq!(decode_relay(&encode_relay(&r)).ok(), Some(r));
                }
                if let Ok(r) = decode_replica(&d) {
                    let back = WriteBatch {
                        documents: r
                            .documents
                            .iter()
                            .map(|(id, kind)| DocumentRow {
                                id: *id,
                                workshop_id: WorkshopId::random(),
                                kind: *kind,
                            })
                            .collect(),
                        chunks: r.chunks.clone(),
                        purge: r.purge.clone(),
                        ..WriteBatch::default()
                    };
                    match encode_replica(&back) {
                        Some(bytes) => assert_eq!(decode_replica(&bytes).ok(), Some(r)),
                        None => assert_eq!(r, Replica::default()),
                    }
                }
            }
        }
    }

    #[test]
    fn a_relay_comes_back_as_it_was_sent_and_garbage_is_an_error() {
        let r = Relay {
            sender: PeerId::new("browser-1"),
            document_id: DocumentId::random(),
            session_id: "s".into(),
            count: 7,
            data: vec![0xa1, 0x00],
        };
        assert_eq!(decode_relay(&encode_relay(&r)).unwrap(), r);
        for garbage in [&b""[..], b"\x80", b"\xff\xff", &encode_relay(&r)[..5]] {
            assert!(decode_relay(garbage).is_err());
            assert!(decode_replica(garbage).is_err());
        }
    }
}
