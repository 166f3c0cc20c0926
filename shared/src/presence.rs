//! Presence: who is online, sent by the server as an ephemeral message on the workshop document.
//! Never stored. Encoded as a CBOR map so automerge-repo clients can decode it too.

use ciborium::Value;

use crate::ephemeral;
use crate::ids::ParticipantId;

/// The `kind` of this ephemeral payload.
pub const KIND: &str = "presence";

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
        let online = self
            .online
            .iter()
            .map(|p| Value::Text(p.to_string()))
            .collect();
        ephemeral::encode(
            KIND,
            vec![
                ("online", Value::Array(online)),
                ("facilitators", Value::Integer(self.facilitators.into())),
                ("screens", Value::Integer(self.screens.into())),
            ],
        )
    }

    /// `None` when the bytes are not a presence message.
    pub fn decode(bytes: &[u8]) -> Option<Presence> {
        let f = ephemeral::decode(bytes, KIND)?;
        let online = f
            .get("online")?
            .as_array()?
            .iter()
            .filter_map(|v| v.as_text()?.parse().ok())
            .collect();
        Some(Presence {
            online,
            facilitators: f.count("facilitators"),
            screens: f.count("screens"),
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
