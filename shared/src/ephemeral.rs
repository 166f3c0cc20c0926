//! The envelope of Kring's own ephemeral payloads (presence, progress): a CBOR map with a `kind`
//! field, so a client tells them apart from each other and from whatever a third-party
//! automerge-repo client broadcasts.

use ciborium::Value;

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
