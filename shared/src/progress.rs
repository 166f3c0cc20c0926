//! Progress of step 1 without its content: per participant, how many notes sit in each ring and
//! how many are marked green or red (and in work form 001 whether they answered the consent round
//! that runs now, never what). The server counts; facilitators see only these numbers,
//! sent as ephemeral data and never stored.

use std::collections::BTreeMap;

use automerge::ReadDoc;
use ciborium::Value;

use crate::ephemeral;
use crate::ids::ParticipantId;
use crate::schema::reflection;

/// The `kind` of this ephemeral payload.
pub const KIND: &str = "progress";

/// Counts for one participant's reflection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    pub individual: u32,
    pub collegial: u32,
    pub collective: u32,
    pub green: u32,
    pub red: u32,
    /// Work form 001: 1 when they answered the consent round that runs now (never what).
    pub answered: u32,
}

impl Counts {
    /// Counts the notes of a reflection document.
    pub fn of(doc: &impl ReadDoc) -> Counts {
        let mut c = Counts::default();
        for note in reflection::notes(doc) {
            match note.ring.as_str() {
                "individual" => c.individual += 1,
                "collegial" => c.collegial += 1,
                "collective" => c.collective += 1,
                _ => {}
            }
            match note.mark.as_str() {
                "green" => c.green += 1,
                "red" => c.red += 1,
                _ => {}
            }
        }
        c
    }

    pub fn total(&self) -> u32 {
        self.individual + self.collegial + self.collective
    }

    fn fields(&self) -> [(&'static str, u32); 6] {
        [
            ("individual", self.individual),
            ("collegial", self.collegial),
            ("collective", self.collective),
            ("green", self.green),
            ("red", self.red),
            ("answered", self.answered),
        ]
    }
}

/// Progress of every participant, as the facilitators' console shows it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Progress(pub BTreeMap<ParticipantId, Counts>);

impl Progress {
    pub fn encode(&self) -> Vec<u8> {
        let people = self
            .0
            .iter()
            .map(|(id, c)| {
                let counts = c
                    .fields()
                    .iter()
                    .map(|(k, v)| (Value::Text((*k).into()), Value::Integer((*v).into())))
                    .collect();
                (Value::Text(id.to_string()), Value::Map(counts))
            })
            .collect();
        ephemeral::encode(KIND, vec![("participants", Value::Map(people))])
    }

    /// `None` when the bytes are not a progress message.
    pub fn decode(bytes: &[u8]) -> Option<Progress> {
        let f = ephemeral::decode(bytes, KIND)?;
        let mut out = BTreeMap::new();
        for (id, counts) in f.get("participants")?.as_map()? {
            let id: ParticipantId = id.as_text()?.parse().ok()?;
            let c = counts.as_map().map(Vec::as_slice).unwrap_or_default();
            let n = |k: &str| ephemeral::count(c, k);
            out.insert(
                id,
                Counts {
                    individual: n("individual"),
                    collegial: n("collegial"),
                    collective: n("collective"),
                    green: n("green"),
                    red: n("red"),
                    answered: n("answered"),
                },
            );
        }
        Some(Progress(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presence::Presence;

    #[test]
    fn progress_round_trips_and_is_not_presence() {
        let mut p = Progress::default();
        p.0.insert(
            ParticipantId::random(),
            Counts {
                individual: 2,
                collegial: 1,
                collective: 0,
                green: 1,
                red: 1,
                answered: 1,
            },
        );
        let bytes = p.encode();
        assert_eq!(Progress::decode(&bytes), Some(p));
        assert_eq!(Presence::decode(&bytes), None);
        assert_eq!(Progress::decode(&Presence::default().encode()), None);
    }
}
