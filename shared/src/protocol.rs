//! The automerge-repo network protocol, version "1": the messages and their CBOR codec.
//!
//! Every WebSocket binary frame carries one CBOR map with a `type` field. Decoding is strict about
//! what Kring needs (ids, byte strings) and tolerant of what it does not (unknown fields, unknown
//! message types, which come back as [`Message::Unknown`] so a newer client is not cut off).
//! [`plain`] reads the frames a room sends most without the generic CBOR tree.

pub mod plain;

use std::collections::HashMap;

pub use bytes::Bytes;
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
    /// An encoded `automerge::sync::Message`, shared: the server sends the same message to every
    /// subscriber at the same sync state.
    pub data: Bytes,
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
        /// Shared, so that relaying it to every reader copies no bytes.
        data: Bytes,
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
        Encoder::default().encode(self)
    }

    /// Decodes one CBOR map. Never panics, whatever the bytes.
    pub fn decode(bytes: &[u8]) -> Result<Message, DecodeError> {
        match plain::decode(bytes) {
            Some(m) => Ok(m),
            None => Self::decode_any(bytes),
        }
    }

    /// [`Message::decode`] through a generic CBOR tree (ciborium's `Value`): every shape the
    /// protocol allows (tags, nulls, nested metadata) and every error. The frames a room sends
    /// most — sync, request and ephemeral messages as every client writes them — take
    /// [`plain::decode`] first, which answers the same message or leaves them to this.
    pub fn decode_any(bytes: &[u8]) -> Result<Message, DecodeError> {
        let mut reader = bytes;
        let value: Value =
            ciborium::from_reader(&mut reader).map_err(|e| DecodeError::Cbor(e.to_string()))?;
        if !reader.is_empty() {
            return Err(DecodeError::Trailing(reader.len()));
        }
        let Value::Map(entries) = value else {
            return Err(DecodeError::NotAMap);
        };
        let mut f = Fields(entries);
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
                data: f.bytes("data")?.into(),
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

/// Writes messages as CBOR straight into one buffer (no intermediate `Value` tree, the payload
/// copied once), and remembers the base58check text of each document id it wrote: the server
/// encodes one message per subscriber, and `DocumentId`'s text costs two SHA-256 rounds.
#[derive(Default)]
pub struct Encoder {
    ids: HashMap<DocumentId, Box<str>>,
}

/// Document ids an [`Encoder`] remembers before it starts over (a workshop has far fewer).
const ENCODER_IDS: usize = 4_096;

impl Encoder {
    /// Encodes the message as one CBOR map.
    pub fn encode(&mut self, msg: &Message) -> Vec<u8> {
        let mut out = Vec::with_capacity(96 + msg.payload_len());
        self.encode_into(msg, &mut out);
        out
    }

    /// Appends the message, as one CBOR map, to `out`.
    pub fn encode_into(&mut self, msg: &Message, out: &mut Vec<u8>) {
        let mut w = Cbor(out);
        match msg {
            Message::Join {
                sender_id,
                supported_protocol_versions,
                peer_metadata,
            } => {
                w.map(3 + usize::from(peer_metadata.is_some()));
                w.entry_text("type", msg.type_name());
                w.entry_text("senderId", &sender_id.0);
                w.text("supportedProtocolVersions");
                w.head(4, supported_protocol_versions.len() as u64);
                for v in supported_protocol_versions {
                    w.text(v);
                }
                w.metadata(peer_metadata);
            }
            Message::Peer {
                sender_id,
                target_id,
                selected_protocol_version,
                peer_metadata,
            } => {
                w.map(4 + usize::from(peer_metadata.is_some()));
                w.entry_text("type", msg.type_name());
                w.entry_text("senderId", &sender_id.0);
                w.entry_text("targetId", &target_id.0);
                w.entry_text("selectedProtocolVersion", selected_protocol_version);
                w.metadata(peer_metadata);
            }
            Message::Request(d) | Message::Sync(d) => {
                w.map(5);
                w.entry_text("type", msg.type_name());
                w.entry_text("senderId", &d.sender_id.0);
                w.entry_text("targetId", &d.target_id.0);
                w.entry_text("documentId", self.id(d.document_id));
                w.text("data");
                w.bytes(&d.data);
            }
            Message::DocUnavailable {
                sender_id,
                target_id,
                document_id,
            } => {
                w.map(4);
                w.entry_text("type", msg.type_name());
                w.entry_text("senderId", &sender_id.0);
                w.entry_text("targetId", &target_id.0);
                w.entry_text("documentId", self.id(*document_id));
            }
            Message::Ephemeral {
                sender_id,
                target_id,
                count,
                session_id,
                document_id,
                data,
            } => {
                w.map(7);
                w.entry_text("type", msg.type_name());
                w.entry_text("senderId", &sender_id.0);
                w.entry_text("targetId", &target_id.0);
                w.text("count");
                w.head(0, *count);
                w.entry_text("sessionId", session_id);
                w.entry_text("documentId", self.id(*document_id));
                w.text("data");
                w.bytes(data);
            }
            Message::Error {
                sender_id,
                target_id,
                message,
                document_id,
            } => {
                w.map(
                    2 + usize::from(sender_id.is_some())
                        + usize::from(target_id.is_some())
                        + usize::from(document_id.is_some()),
                );
                w.entry_text("type", msg.type_name());
                if let Some(s) = sender_id {
                    w.entry_text("senderId", &s.0);
                }
                if let Some(t) = target_id {
                    w.entry_text("targetId", &t.0);
                }
                w.entry_text("message", message);
                if let Some(d) = document_id {
                    w.entry_text("documentId", self.id(*d));
                }
            }
            Message::Leave { sender_id } => {
                w.map(2);
                w.entry_text("type", msg.type_name());
                w.entry_text("senderId", &sender_id.0);
            }
            Message::Unknown { .. } => {
                w.map(1);
                w.entry_text("type", msg.type_name());
            }
        }
    }

    /// The base58check text of a document id, computed once per id.
    fn id(&mut self, id: DocumentId) -> &str {
        if self.ids.len() >= ENCODER_IDS && !self.ids.contains_key(&id) {
            self.ids.clear();
        }
        self.ids
            .entry(id)
            .or_insert_with(|| id.to_string().into_boxed_str())
    }
}

/// A minimal CBOR writer: definite-length maps, arrays, text and byte strings, unsigned
/// integers and booleans — all the protocol needs. Writing into a `Vec` cannot fail.
struct Cbor<'a>(&'a mut Vec<u8>);

impl Cbor<'_> {
    /// A head: major type and argument, in the shortest form (RFC 8949 §3).
    fn head(&mut self, major: u8, n: u64) {
        let m = major << 5;
        match n {
            0..=23 => self.0.push(m | n as u8),
            24..=0xff => self.0.extend_from_slice(&[m | 24, n as u8]),
            0x100..=0xffff => {
                self.0.push(m | 25);
                self.0.extend_from_slice(&(n as u16).to_be_bytes());
            }
            0x1_0000..=0xffff_ffff => {
                self.0.push(m | 26);
                self.0.extend_from_slice(&(n as u32).to_be_bytes());
            }
            _ => {
                self.0.push(m | 27);
                self.0.extend_from_slice(&n.to_be_bytes());
            }
        }
    }
    fn map(&mut self, entries: usize) {
        self.head(5, entries as u64);
    }
    fn text(&mut self, s: &str) {
        self.head(3, s.len() as u64);
        self.0.extend_from_slice(s.as_bytes());
    }
    fn bytes(&mut self, b: &[u8]) {
        self.head(2, b.len() as u64);
        self.0.extend_from_slice(b);
    }
    fn entry_text(&mut self, key: &str, value: &str) {
        self.text(key);
        self.text(value);
    }
    fn metadata(&mut self, meta: &Option<PeerMetadata>) {
        if let Some(meta) = meta {
            self.text("peerMetadata");
            self.map(1 + usize::from(meta.storage_id.is_some()));
            if let Some(storage) = &meta.storage_id {
                self.entry_text("storageId", storage);
            }
            self.text("isEphemeral");
            // CBOR simple values false (20) and true (21).
            self.0.push(0xf4 | u8::from(meta.is_ephemeral));
        }
    }
}

impl Message {
    /// How many payload bytes the message carries (to size its buffer).
    fn payload_len(&self) -> usize {
        match self {
            Message::Request(d) | Message::Sync(d) => d.data.len(),
            Message::Ephemeral { data, .. } => data.len(),
            _ => 0,
        }
    }
}

/// The old `Value`-tree encoder, kept for tests: hand-made maps (a bad id, a tagged payload)
/// and a check that [`Encoder`] writes what ciborium writes.
#[cfg(test)]
struct MapBuilder(Vec<(Value, Value)>);

#[cfg(test)]
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
    /// Takes a byte string out of the map (the payload is moved, not copied).
    fn bytes(&mut self, key: &'static str) -> Result<Vec<u8>, DecodeError> {
        let value = self
            .0
            .iter_mut()
            .find(|(k, _)| matches!(k, Value::Text(t) if t == key))
            .map(|(_, v)| untag_mut(v));
        match value {
            None => Err(DecodeError::Missing(key)),
            Some(Value::Bytes(b)) => Ok(std::mem::take(b)),
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
    fn doc_message(&mut self) -> Result<DocMessage, DecodeError> {
        Ok(DocMessage {
            sender_id: self.peer("senderId")?,
            target_id: self.peer("targetId")?,
            document_id: self.document_id()?,
            data: self.bytes("data")?.into(),
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

fn untag_mut(v: &mut Value) -> &mut Value {
    match v {
        Value::Tag(_, inner) => untag_mut(inner),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Where the plain reader answers, it answers what the general one does.
    fn agrees(bytes: &[u8]) -> Result<bool, TestCaseError> {
        match plain::decode(bytes) {
            Some(m) => {
                prop_assert_eq!(Ok(m), Message::decode_any(bytes));
                Ok(true)
            }
            None => Ok(false),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]

        /// Every sample, its bytes changed in up to four places, cut short, or with bytes
        /// appended: the plain reader answers the same message as the general one, or leaves
        /// the frame to it.
        #[test]
        fn the_plain_reader_answers_what_the_general_one_does(
            which in 0usize..64,
            edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..4),
            cut in prop::option::of(any::<prop::sample::Index>()),
            tail in prop::collection::vec(any::<u8>(), 0..3),
        ) {
            let all = samples();
            let mut bytes = all[which % all.len()].encode();
            for (at, byte) in edits {
                let i = at.index(bytes.len());
                bytes[i] = byte;
            }
            if let Some(at) = cut {
                bytes.truncate(at.index(bytes.len() + 1));
            }
            bytes.extend(tail);
            agrees(&bytes)?;
        }
    }

    /// A value of any CBOR kind the general reader knows, for a field of the map.
    fn any_value() -> impl Strategy<Value = Value> {
        let doc = DocumentId::random().to_string();
        prop_oneof![
            any::<u64>().prop_map(|n| Value::Integer(n.into())),
            (0u64..10).prop_map(|n| Value::Integer(n.into())),
            any::<i64>().prop_map(|n| Value::Integer(n.into())),
            prop::sample::select(vec!["sync", "request", "ephemeral", "a", "b", "leave"])
                .prop_map(|t| Value::Text(t.into())),
            Just(Value::Text(doc)),
            prop::collection::vec(any::<u8>(), 0..4).prop_map(Value::Bytes),
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            Just(Value::Float(1.5)),
            Just(Value::Tag(24, Box::new(Value::Bytes(vec![1])))),
            Just(Value::Array(vec![Value::Text("1".into())])),
            Just(Value::Map(vec![])),
        ]
    }

    /// A map of a whole sync, request or ephemeral message (or one of another type), then with
    /// fields given values of other kinds, repeated, dropped, added, in any order.
    fn nearly_messages() -> impl Strategy<Value = Vec<(String, Value)>> {
        let doc = DocumentId::random().to_string();
        let kinds = prop::sample::select(vec!["sync", "request", "ephemeral", "leave"]);
        let changes = prop::collection::vec((0u8..4, any_value()), 7);
        (kinds, changes, any::<bool>()).prop_flat_map(move |(kind, changes, extra)| {
            let mut fields: Vec<(String, Value)> = vec![
                ("type".into(), Value::Text(kind.into())),
                ("senderId".into(), Value::Text("a".into())),
                ("targetId".into(), Value::Text("b".into())),
                ("documentId".into(), Value::Text(doc.clone())),
                ("data".into(), Value::Bytes(vec![1, 2])),
                ("count".into(), Value::Integer(3.into())),
                ("sessionId".into(), Value::Text("s".into())),
            ];
            let mut out = Vec::new();
            for ((key, value), (what, other)) in fields.drain(..).zip(changes) {
                match what {
                    0 => out.push((key, other)),
                    1 => {
                        out.push((key.clone(), value));
                        out.push((key, other));
                    }
                    2 if key != "type" => {}
                    _ => out.push((key, value)),
                }
            }
            if extra {
                out.push(("other".into(), Value::Array(vec![])));
            }
            Just(out).prop_shuffle()
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4_000))]

        /// The plain reader agrees with the general one wherever it answers, on maps near the
        /// messages it reads.
        #[test]
        fn the_plain_reader_agrees_on_maps_near_its_messages(entries in nearly_messages()) {
            let map = Value::Map(
                entries.into_iter().map(|(k, v)| (Value::Text(k), v)).collect(),
            );
            let mut bytes = Vec::new();
            ciborium::into_writer(&map, &mut bytes).expect("CBOR into a Vec");
            agrees(&bytes)?;
        }
    }

    #[test]
    fn a_head_longer_than_it_needs_to_be_reads_the_same_in_both() {
        let doc = DocumentId::random();
        let mut m = MapBuilder::new("sync");
        m.text("senderId", "a");
        m.text("targetId", "b");
        m.text("documentId", &doc.to_string());
        m.put("data", Value::Bytes(vec![7]));
        let shortest = m.finish();
        // The map's head (0xa5) written with a one-byte argument instead.
        let mut longer = vec![0xb8, 5];
        longer.extend_from_slice(&shortest[1..]);
        assert!(agrees(&longer).unwrap());
    }

    #[test]
    fn the_plain_reader_takes_the_frames_a_room_sends_most_and_leaves_the_rest() {
        for m in samples() {
            let plain = agrees(&m.encode()).unwrap();
            let expected = matches!(
                m,
                Message::Sync(_) | Message::Request(_) | Message::Ephemeral { .. }
            );
            assert_eq!(plain, expected, "{m:?}");
        }
        // The first of repeated keys counts in both; a tag or a null is the general reader's.
        let doc = DocumentId::random();
        let mut m = MapBuilder::new("sync");
        m.text("senderId", "a");
        m.text("targetId", "b");
        m.text("documentId", &doc.to_string());
        m.put("data", Value::Bytes(vec![1]));
        m.put("data", Value::Bytes(vec![2]));
        assert!(agrees(&m.finish()).unwrap());
        let mut m = MapBuilder::new("sync");
        m.text("senderId", "a");
        m.put("targetId", Value::Tag(1, Box::new(Value::Text("b".into()))));
        m.text("documentId", &doc.to_string());
        m.put("data", Value::Bytes(vec![1]));
        let bytes = m.finish();
        assert!(!agrees(&bytes).unwrap());
        assert!(Message::decode(&bytes).is_ok());
    }

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
                data: vec![0x42, 0, 0].into(),
            }),
            Message::Sync(DocMessage {
                sender_id: peer("a"),
                target_id: peer("b"),
                document_id: doc,
                data: Bytes::new(),
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
                data: vec![1, 2, 3].into(),
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
    fn the_encoder_writes_well_formed_shortest_form_cbor() {
        // ciborium re-encodes what it decoded in the shortest form: equal bytes mean ours were
        // well formed and shortest too (as automerge-repo's cbor-x writes them).
        let big = Message::Sync(DocMessage {
            sender_id: peer("a"),
            target_id: peer(&"t".repeat(300)),
            document_id: DocumentId::random(),
            data: vec![7; 70_000].into(),
        });
        for m in samples().into_iter().chain([big]) {
            let ours = m.encode();
            let value: Value = ciborium::from_reader(ours.as_slice()).unwrap();
            let mut theirs = Vec::new();
            ciborium::into_writer(&value, &mut theirs).unwrap();
            assert_eq!(ours, theirs, "{}", m.type_name());
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
