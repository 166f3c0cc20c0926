//! The envelope of Kring's own ephemeral payloads (presence, progress, drags): a CBOR map with a
//! `kind` field, so a client tells them apart from each other and from whatever a third-party
//! automerge-repo client broadcasts; and [`check_from_client`], the rule for what a client may
//! broadcast at all (the hub applies it before forwarding anything).

use ciborium::Value;

use crate::access::DocKind;

/// The largest ephemeral payload a client may send. A drag is under 200 bytes; the frame limit
/// (1 MiB) would let one message be copied to every reader at a megabyte each.
pub const MAX_CLIENT_EPHEMERAL_BYTES: usize = 16 * 1024;

/// Whether a client may broadcast `data` on a document of this kind. Presence and progress only
/// ever come from the server; the one thing clients broadcast is a drag on the table (and only
/// writers of the table, which the hub checks separately). Anything else is refused with the
/// reason, so a participant cannot speak as the server or show a fake hold on every screen.
pub fn check_from_client(kind: &DocKind, data: &[u8]) -> Result<(), String> {
    if data.len() > MAX_CLIENT_EPHEMERAL_BYTES {
        return Err(format!(
            "ephemeral message of {} bytes is over the limit of {MAX_CLIENT_EPHEMERAL_BYTES}",
            data.len()
        ));
    }
    let kind_field = match ciborium::from_reader::<Value, _>(data) {
        Ok(Value::Map(entries)) => lookup(&entries, "kind")
            .and_then(|k| k.as_text())
            .map(str::to_owned),
        _ => None,
    };
    match (kind_field.as_deref(), kind) {
        (Some(crate::drag::KIND), DocKind::Table) => {
            if crate::drag::Drag::decode(data).is_some() {
                Ok(())
            } else {
                Err("malformed drag".into())
            }
        }
        (Some(crate::drag::KIND), _) => Err(format!(
            "drags are only sent on the table, not on a {} document",
            kind.name()
        )),
        (Some(k @ (crate::presence::KIND | crate::progress::KIND)), _) => {
            Err(format!("`{k}` comes only from the server"))
        }
        (Some(other), _) => Err(format!("unknown ephemeral kind `{other}`")),
        (None, _) => Err("ephemeral data must be a CBOR map with a `kind`".into()),
    }
}

/// Encodes `{kind, ...fields}`.
pub(crate) fn encode(kind: &str, fields: Vec<(&str, Value)>) -> Vec<u8> {
    let mut entries = vec![(Value::Text("kind".into()), Value::Text(kind.into()))];
    entries.extend(fields.into_iter().map(|(k, v)| (Value::Text(k.into()), v)));
    let mut out = Vec::new();
    // Writing into a Vec cannot fail: ciborium only errors on I/O.
    ciborium::into_writer(&Value::Map(entries), &mut out).expect("CBOR into a Vec");
    out
}

/// The fields of a decoded envelope.
pub(crate) struct Fields(Vec<(Value, Value)>);

impl Fields {
    pub fn get(&self, key: &str) -> Option<&Value> {
        lookup(&self.0, key)
    }

    pub fn count(&self, key: &str) -> u32 {
        count(&self.0, key)
    }
}

/// A field of a CBOR map by its text key.
pub(crate) fn lookup<'a>(entries: &'a [(Value, Value)], key: &str) -> Option<&'a Value> {
    entries
        .iter()
        .find(|(k, _)| k.as_text() == Some(key))
        .map(|(_, v)| v)
}

/// A small count field; missing or malformed reads as 0.
pub(crate) fn count(entries: &[(Value, Value)], key: &str) -> u32 {
    lookup(entries, key)
        .and_then(|v| v.as_integer())
        .and_then(|i| u32::try_from(i).ok())
        .unwrap_or(0)
}

/// Decodes an envelope of this `kind`; `None` for anything else.
pub(crate) fn decode(bytes: &[u8], kind: &str) -> Option<Fields> {
    let Value::Map(entries) = ciborium::from_reader::<Value, _>(bytes).ok()? else {
        return None;
    };
    (lookup(&entries, "kind")?.as_text()? == kind).then_some(Fields(entries))
}
