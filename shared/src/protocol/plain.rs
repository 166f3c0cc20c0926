//! The messages a room sends most, read straight from the bytes: a definite-length map of text
//! keys to unsigned integers, text and byte strings, of type `sync`, `request` or `ephemeral`.
//! Answers `None` for anything else — another type, another shape, any error — and
//! [`Message::decode_any`](super::Message::decode_any) then decides: what this answers is what that would (held to it by a
//! proptest and by the `protocol_decode` fuzz target). Reading through ciborium's `Value` tree
//! was ~5% of the server's CPU in the plenary, where every reader answers every change.

use super::{DocMessage, DocumentId, Message, PeerId};

/// One value of the map, borrowed from the input.
#[derive(Clone, Copy)]
enum Plain<'a> {
    Uint(u64),
    Text(&'a str),
    Bytes(&'a [u8]),
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }

    /// A head with a definite argument: (major type, argument).
    fn head(&mut self) -> Option<(u8, u64)> {
        let first = *self.take(1)?.first()?;
        let n = match first & 0x1f {
            n @ 0..=23 => u64::from(n),
            24 => u64::from(self.take(1)?[0]),
            25 => u64::from(u16::from_be_bytes(self.take(2)?.try_into().ok()?)),
            26 => u64::from(u32::from_be_bytes(self.take(4)?.try_into().ok()?)),
            27 => u64::from_be_bytes(self.take(8)?.try_into().ok()?),
            _ => return None,
        };
        Some((first >> 5, n))
    }

    fn string(&mut self, n: u64) -> Option<&'a [u8]> {
        self.take(usize::try_from(n).ok()?)
    }

    fn value(&mut self) -> Option<Plain<'a>> {
        match self.head()? {
            (0, n) => Some(Plain::Uint(n)),
            (2, n) => Some(Plain::Bytes(self.string(n)?)),
            (3, n) => Some(Plain::Text(std::str::from_utf8(self.string(n)?).ok()?)),
            _ => None,
        }
    }
}

/// The message, when the bytes are such a plain map; see the module.
pub fn decode(bytes: &[u8]) -> Option<Message> {
    let mut r = Reader(bytes);
    let (5, n) = r.head()? else {
        return None;
    };
    // Every entry takes at least two bytes: a count past that cannot be honest.
    if n > bytes.len() as u64 / 2 {
        return None;
    }
    let mut fields: Vec<(&str, Plain<'_>)> = Vec::with_capacity(n as usize);
    for _ in 0..n {
        let (3, len) = r.head()? else {
            return None;
        };
        let key = std::str::from_utf8(r.string(len)?).ok()?;
        let value = r.value()?;
        // The first of repeated keys counts, as in `decode_any`.
        if !fields.iter().any(|(k, _)| *k == key) {
            fields.push((key, value));
        }
    }
    if !r.0.is_empty() {
        return None;
    }
    let get = |key: &str| fields.iter().find(|(k, _)| *k == key).map(|(_, v)| *v);
    let text = |key: &str| match get(key)? {
        Plain::Text(t) => Some(t),
        _ => None,
    };
    let peer = |key: &str| text(key).map(|t| PeerId(t.to_owned()));
    let data = || match get("data")? {
        Plain::Bytes(b) => Some(b.to_vec()),
        _ => None,
    };
    let document_id = || DocumentId::from_url(text("documentId")?).ok();
    let doc_message = || {
        Some(DocMessage {
            sender_id: peer("senderId")?,
            target_id: peer("targetId")?,
            document_id: document_id()?,
            data: data()?.into(),
        })
    };
    match text("type")? {
        "sync" => Some(Message::Sync(doc_message()?)),
        "request" => Some(Message::Request(doc_message()?)),
        "ephemeral" => Some(Message::Ephemeral {
            sender_id: peer("senderId")?,
            target_id: peer("targetId")?,
            count: match get("count")? {
                Plain::Uint(n) => n,
                _ => return None,
            },
            session_id: text("sessionId")?.to_owned(),
            document_id: document_id()?,
            data: data()?.into(),
        }),
        _ => None,
    }
}
