//! Presence: who is online, sent by the server as an ephemeral message on the workshop document.
//! Never stored. Encoded as a CBOR map so automerge-repo clients can decode it too.

use ciborium::Value;

use crate::ids::ParticipantId;

/// Who is connected to a workshop right now.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Presence {
    /// Participants with at least one open connection, sorted.
    pub online: Vec<ParticipantId>,
    pub facilitators: u32,
    pub screens: u32,
}

impl Presence {
    pub fn encode(&self) -> Vec<u8> {
        let map = Value::Map(vec![
            (Value::Text("kind".into()), Value::Text("presence".into())),
            (
                Value::Text("online".into()),
                Value::Array(
                    self.online
                        .iter()
                        .map(|p| Value::Text(p.to_string()))
                        .collect(),
                ),
            ),
            (
                Value::Text("facilitators".into()),
                Value::Integer(self.facilitators.into()),
            ),
            (
                Value::Text("screens".into()),
                Value::Integer(self.screens.into()),
            ),
        ]);
        let mut out = Vec::new();
        // Writing into a Vec cannot fail.
        ciborium::into_writer(&map, &mut out).expect("CBOR into a Vec");
        out
    }

    /// `None` when the bytes are not a presence message.
    pub fn decode(bytes: &[u8]) -> Option<Presence> {
        let Value::Map(entries) = ciborium::from_reader::<Value, _>(bytes).ok()? else {
            return None;
        };
        let get = |k: &str| {
            entries
                .iter()
                .find(|(key, _)| key.as_text() == Some(k))
                .map(|(_, v)| v)
        };
        if get("kind")?.as_text()? != "presence" {
            return None;
        }
        let online = get("online")?
            .as_array()?
            .iter()
            .filter_map(|v| v.as_text()?.parse().ok())
            .collect();
        let count = |k: &str| {
            get(k)
                .and_then(|v| v.as_integer())
                .and_then(|i| u32::try_from(i).ok())
                .unwrap_or(0)
        };
        Some(Presence {
            online,
            facilitators: count("facilitators"),
            screens: count("screens"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presence_round_trips_and_other_data_is_not_presence() {
        let p = Presence {
            online: vec![ParticipantId::random()],
            facilitators: 1,
            screens: 2,
        };
        assert_eq!(Presence::decode(&p.encode()), Some(p));
        assert_eq!(Presence::decode(b"\xa0"), None);
        assert_eq!(Presence::decode(b"garbage"), None);
    }
}
