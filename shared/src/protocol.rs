//! The automerge-repo network protocol, version "1": the messages and their CBOR codec.
//!
//! Every WebSocket binary frame carries one CBOR map with a `type` field. Decoding is strict about
//! what Kring needs (ids, byte strings) and tolerant of what it does not (unknown fields, unknown
//! message types, which come back as [`Message::Unknown`] so a newer client is not cut off).

use ciborium::Value;

use crate::ids::{DocumentId, IdParseError, PeerId};

/// The only protocol version Kring speaks (as automerge-repo 1.x and 2.x do).
pub const PROTOCOL_VERSION: &str = "1";

/// What a peer says about itself in `join` and `peer`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PeerMetadata {
    pub storage_id: Option<String>,
    pub is_ephemeral: bool,
}

/// A document-addressed message: `request` and `sync` carry an automerge sync message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocMessage {
    pub sender_id: PeerId,
    pub target_id: PeerId,
    pub document_id: DocumentId,
    /// An encoded `automerge::sync::Message`.
    pub data: Vec<u8>,
}

/// One protocol message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    Join {
        sender_id: PeerId,
        supported_protocol_versions: Vec<String>,
        peer_metadata: Option<PeerMetadata>,
    },
    Peer {
        sender_id: PeerId,
        target_id: PeerId,
        selected_protocol_version: String,
        peer_metadata: Option<PeerMetadata>,
    },
    /// The first sync message for a document the sender does not have yet.
    Request(DocMessage),
    Sync(DocMessage),
    DocUnavailable {
        sender_id: PeerId,
        target_id: PeerId,
        document_id: DocumentId,
    },
    /// Presence and other fleeting data; forwarded, never stored.
    Ephemeral {
        sender_id: PeerId,
        target_id: PeerId,
        count: u64,
        session_id: String,
        document_id: DocumentId,
        data: Vec<u8>,
    },
    Error {
        sender_id: Option<PeerId>,
        target_id: Option<PeerId>,
        message: String,
        /// The document a refused change was for (a Kring extension; other clients ignore it).
        document_id: Option<DocumentId>,
    },
    Leave {
        sender_id: PeerId,
    },
    /// A message type Kring does not act on (`remote-subscription-change`, `remote-heads-changed`, …).
    Unknown {
        type_name: String,
    },
}

/// Why bytes are not a protocol message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("not valid CBOR: {0}")]
    Cbor(String),
    #[error("a message must be a CBOR map")]
    NotAMap,
    #[error("field `{0}` is missing")]
    Missing(&'static str),
    #[error("field `{0}` has the wrong type")]
    WrongType(&'static str),
    #[error("field `documentId`: {0}")]
    DocumentId(#[from] IdParseError),
    #[error("{0} trailing bytes after the message")]
    Trailing(usize),
}

impl Message {
    /// A short name for logs: the wire `type`.
    pub fn type_name(&self) -> &str {
        match self {
            Message::Join { .. } => "join",
            Message::Peer { .. } => "peer",
            Message::Request(_) => "request",
            Message::Sync(_) => "sync",
            Message::DocUnavailable { .. } => "doc-unavailable",
            Message::Ephemeral { .. } => "ephemeral",
            Message::Error { .. } => "error",
            Message::Leave { .. } => "leave",
            Message::Unknown { type_name } => type_name,
        }
    }

    /// Encodes the message as one CBOR map.
    pub fn encode(&self) -> Vec<u8> {
        let mut m = MapBuilder::new(self.type_name());
        match self {
            Message::Join {
                sender_id,
                supported_protocol_versions,
                peer_metadata,
            } => {
                m.text("senderId", &sender_id.0);
                m.put(
                    "supportedProtocolVersions",
                    Value::Array(
                        supported_protocol_versions
                            .iter()
                            .map(|v| Value::Text(v.clone()))
                            .collect(),
                    ),
                );
                m.metadata(peer_metadata);
            }
            Message::Peer {
                sender_id,
                target_id,
                selected_protocol_version,
                peer_metadata,
            } => {
                m.text("senderId", &sender_id.0);
                m.text("targetId", &target_id.0);
                m.text("selectedProtocolVersion", selected_protocol_version);
                m.metadata(peer_metadata);
            }
            Message::Request(d) | Message::Sync(d) => {
                m.text("senderId", &d.sender_id.0);
                m.text("targetId", &d.target_id.0);
                m.text("documentId", &d.document_id.to_string());
                m.put("data", Value::Bytes(d.data.clone()));
            }
            Message::DocUnavailable {
                sender_id,
                target_id,
                document_id,
            } => {
                m.text("senderId", &sender_id.0);
                m.text("targetId", &target_id.0);
                m.text("documentId", &document_id.to_string());
            }
            Message::Ephemeral {
                sender_id,
                target_id,
                count,
                session_id,
                document_id,
                data,
            } => {
                m.text("senderId", &sender_id.0);
                m.text("targetId", &target_id.0);
                m.put("count", Value::Integer((*count).into()));
                m.text("sessionId", session_id);
                m.text("documentId", &document_id.to_string());
                m.put("data", Value::Bytes(data.clone()));
            }
            Message::Error {
                sender_id,
                target_id,
                message,
                document_id,
            } => {
                if let Some(s) = sender_id {
                    m.text("senderId", &s.0);
                }
                if let Some(t) = target_id {
                    m.text("targetId", &t.0);
                }
                m.text("message", message);
                if let Some(d) = document_id {
                    m.text("documentId", &d.to_string());
                }
            }
            Message::Leave { sender_id } => m.text("senderId", &sender_id.0),
            Message::Unknown { .. } => {}
        }
        m.finish()
    }

    /// Decodes one CBOR map. Never panics, whatever the bytes.
    pub fn decode(bytes: &[u8]) -> Result<Message, DecodeError> {
        let mut reader = bytes;
        let value: Value =
            ciborium::from_reader(&mut reader).map_err(|e| DecodeError::Cbor(e.to_string()))?;
        if !reader.is_empty() {
            return Err(DecodeError::Trailing(reader.len()));
        }
        let Value::Map(entries) = value else {
            return Err(DecodeError::NotAMap);
        };
        let f = Fields(entries);
        let type_name = f.text("type")?;
        Ok(match type_name.as_str() {
            "join" => Message::Join {
                sender_id: f.peer("senderId")?,
                supported_protocol_versions: f.text_list("supportedProtocolVersions")?,
                peer_metadata: f.metadata()?,
            },
            "peer" => Message::Peer {
                sender_id: f.peer("senderId")?,
                target_id: f.peer("targetId")?,
                selected_protocol_version: f.text("selectedProtocolVersion")?,
                peer_metadata: f.metadata()?,
            },
            "request" => Message::Request(f.doc_message()?),
            "sync" => Message::Sync(f.doc_message()?),
            "doc-unavailable" => Message::DocUnavailable {
                sender_id: f.peer("senderId")?,
                target_id: f.peer("targetId")?,
                document_id: f.document_id()?,
            },
            "ephemeral" => Message::Ephemeral {
                sender_id: f.peer("senderId")?,
                target_id: f.peer("targetId")?,
                count: f.uint("count")?,
                session_id: f.text("sessionId")?,
                document_id: f.document_id()?,
                data: f.bytes("data")?,
            },
            "error" => Message::Error {
                sender_id: f.opt_text("senderId")?.map(PeerId),
                target_id: f.opt_text("targetId")?.map(PeerId),
                message: f.text("message")?,
                document_id: match f.opt_text("documentId")? {
                    Some(d) => Some(DocumentId::from_url(&d)?),
                    None => None,
                },
            },
            "leave" => Message::Leave {
                sender_id: f.peer("senderId")?,
            },
            _ => Message::Unknown { type_name },
        })
    }
}

struct MapBuilder(Vec<(Value, Value)>);

impl MapBuilder {
    fn new(type_name: &str) -> Self {
        Self(vec![(
            Value::Text("type".into()),
            Value::Text(type_name.into()),
        )])
    }
    fn put(&mut self, key: &str, value: Value) {
        self.0.push((Value::Text(key.into()), value));
    }
    fn text(&mut self, key: &str, value: &str) {
        self.put(key, Value::Text(value.into()));
    }
    fn metadata(&mut self, meta: &Option<PeerMetadata>) {
        if let Some(meta) = meta {
            let mut entries = Vec::new();
            if let Some(storage) = &meta.storage_id {
                entries.push((
                    Value::Text("storageId".into()),
                    Value::Text(storage.clone()),
                ));
            }
            entries.push((
                Value::Text("isEphemeral".into()),
                Value::Bool(meta.is_ephemeral),
            ));
            self.put("peerMetadata", Value::Map(entries));
        }
    }
    fn finish(self) -> Vec<u8> {
        let mut out = Vec::new();
        // Writing into a Vec cannot fail: ciborium only errors on I/O.
        ciborium::into_writer(&Value::Map(self.0), &mut out).expect("CBOR into a Vec");
        out
    }
}

/// Field access on a decoded CBOR map, with errors that name the field.
struct Fields(Vec<(Value, Value)>);

impl Fields {
    fn get(&self, key: &str) -> Option<&Value> {
        self.0
            .iter()
            .find(|(k, _)| matches!(k, Value::Text(t) if t == key))
            .map(|(_, v)| untag(v))
    }
    fn opt_text(&self, key: &'static str) -> Result<Option<String>, DecodeError> {
        match self.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Text(t)) => Ok(Some(t.clone())),
            Some(_) => Err(DecodeError::WrongType(key)),
        }
    }
    fn text(&self, key: &'static str) -> Result<String, DecodeError> {
        self.opt_text(key)?.ok_or(DecodeError::Missing(key))
    }
    fn peer(&self, key: &'static str) -> Result<PeerId, DecodeError> {
        self.text(key).map(PeerId)
    }
    fn bytes(&self, key: &'static str) -> Result<Vec<u8>, DecodeError> {
        match self.get(key) {
            None => Err(DecodeError::Missing(key)),
            Some(Value::Bytes(b)) => Ok(b.clone()),
            Some(_) => Err(DecodeError::WrongType(key)),
        }
    }
    fn uint(&self, key: &'static str) -> Result<u64, DecodeError> {
        match self.get(key) {
            None => Err(DecodeError::Missing(key)),
            Some(Value::Integer(i)) => u64::try_from(*i).map_err(|_| DecodeError::WrongType(key)),
            Some(_) => Err(DecodeError::WrongType(key)),
        }
    }
    fn text_list(&self, key: &'static str) -> Result<Vec<String>, DecodeError> {
        match self.get(key) {
            None => Err(DecodeError::Missing(key)),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| match untag(v) {
                    Value::Text(t) => Ok(t.clone()),
                    _ => Err(DecodeError::WrongType(key)),
                })
                .collect(),
            Some(_) => Err(DecodeError::WrongType(key)),
        }
    }
    fn document_id(&self) -> Result<DocumentId, DecodeError> {
        Ok(DocumentId::from_url(&self.text("documentId")?)?)
    }
    fn doc_message(&self) -> Result<DocMessage, DecodeError> {
        Ok(DocMessage {
            sender_id: self.peer("senderId")?,
            target_id: self.peer("targetId")?,
            document_id: self.document_id()?,
            data: self.bytes("data")?,
        })
    }
    fn metadata(&self) -> Result<Option<PeerMetadata>, DecodeError> {
        const KEY: &str = "peerMetadata";
        match self.get(KEY) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Map(entries)) => {
                let f = Fields(entries.clone());
                Ok(Some(PeerMetadata {
                    storage_id: f.opt_text("storageId")?,
                    is_ephemeral: matches!(f.get("isEphemeral"), Some(Value::Bool(true))),
                }))
            }
            Some(_) => Err(DecodeError::WrongType(KEY)),
        }
    }
}

/// JS encoders may wrap a `Uint8Array` in CBOR tag 64; the tag says nothing Kring needs.
fn untag(v: &Value) -> &Value {
    match v {
        Value::Tag(_, inner) => untag(inner),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(s: &str) -> PeerId {
        PeerId::new(s)
    }

    fn samples() -> Vec<Message> {
        let doc = DocumentId::random();
        vec![
            Message::Join {
                sender_id: peer("client"),
                supported_protocol_versions: vec!["1".into()],
                peer_metadata: Some(PeerMetadata {
                    storage_id: Some("s".into()),
                    is_ephemeral: false,
                }),
            },
            Message::Peer {
                sender_id: peer("server"),
                target_id: peer("client"),
                selected_protocol_version: "1".into(),
                peer_metadata: Some(PeerMetadata::default()),
            },
            Message::Request(DocMessage {
                sender_id: peer("a"),
                target_id: peer("b"),
                document_id: doc,
                data: vec![0x42, 0, 0],
            }),
            Message::Sync(DocMessage {
                sender_id: peer("a"),
                target_id: peer("b"),
                document_id: doc,
                data: vec![],
            }),
            Message::DocUnavailable {
                sender_id: peer("a"),
                target_id: peer("b"),
                document_id: doc,
            },
            Message::Ephemeral {
                sender_id: peer("a"),
                target_id: peer("b"),
                count: 7,
                session_id: "sess".into(),
                document_id: doc,
                data: vec![1, 2, 3],
            },
            Message::Error {
                sender_id: Some(peer("server")),
                target_id: None,
                message: "no".into(),
                document_id: None,
            },
            Message::Error {
                sender_id: Some(peer("server")),
                target_id: Some(peer("a")),
                message: "refused".into(),
                document_id: Some(doc),
            },
            Message::Leave {
                sender_id: peer("a"),
            },
        ]
    }

    #[test]
    fn every_message_round_trips() {
        for m in samples() {
            assert_eq!(
                Message::decode(&m.encode()),
                Ok(m.clone()),
                "{}",
                m.type_name()
            );
        }
    }

    #[test]
    fn garbage_is_a_clear_error_not_a_panic() {
        let cases: &[(&[u8], &str)] = &[
            (b"", "not valid CBOR"),
            (&[0xff, 0x00, 0x13], "not valid CBOR"),
            (&[0x01], "must be a CBOR map"),
            (&[0xa0], "`type` is missing"),
        ];
        for (bytes, expected) in cases {
            let err = Message::decode(bytes).unwrap_err().to_string();
            assert!(err.contains(expected), "{bytes:?}: {err}");
        }
    }

    #[test]
    fn truncated_messages_are_refused() {
        let full = samples()[2].encode();
        for cut in 0..full.len() {
            assert!(Message::decode(&full[..cut]).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn a_bad_document_id_is_named() {
        let mut m = MapBuilder::new("request");
        m.text("senderId", "a");
        m.text("targetId", "b");
        m.text("documentId", "not-base58!");
        m.put("data", Value::Bytes(vec![]));
        let err = Message::decode(&m.finish()).unwrap_err();
        assert!(matches!(err, DecodeError::DocumentId(_)), "{err}");
    }

    #[test]
    fn unknown_types_are_tolerated() {
        let m = MapBuilder::new("remote-heads-changed").finish();
        assert_eq!(
            Message::decode(&m),
            Ok(Message::Unknown {
                type_name: "remote-heads-changed".into()
            })
        );
    }

    #[test]
    fn tagged_byte_strings_are_accepted() {
        let mut m = MapBuilder::new("sync");
        m.text("senderId", "a");
        m.text("targetId", "b");
        m.text("documentId", &DocumentId::random().to_string());
        m.put("data", Value::Tag(64, Box::new(Value::Bytes(vec![9]))));
        match Message::decode(&m.finish()) {
            Ok(Message::Sync(d)) => assert_eq!(d.data, vec![9]),
            other => panic!("{other:?}"),
        }
    }
}
