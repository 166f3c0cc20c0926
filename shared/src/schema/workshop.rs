//! The workshop document: title, language, current step and roster.
//!
//! ```text
//! { title: str, language: "nl"|"en", step: Step,
//!   roster: { <participant id>: { name: str, organisation: str, joined_at: int (ms) } } }
//! ```
//! Facilitators write it; the server writes roster entries when people join.

use automerge::transaction::Transactable;
use automerge::{ObjType, ReadDoc, ScalarValue};
use serde::{Deserialize, Serialize};

use super::{MapReader, SchemaError};
use crate::ids::ParticipantId;
use crate::step::Step;

pub const MAX_TITLE: usize = 120;
pub const MAX_NAME: usize = 80;
pub const MAX_ORGANISATION: usize = 120;
pub const MAX_ROSTER: usize = 500;
pub const LANGUAGES: [&str; 2] = ["nl", "en"];

/// One person on the roster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterEntry {
    pub id: ParticipantId,
    pub name: String,
    pub organisation: String,
    pub joined_at: i64,
}

/// What views read from the workshop document.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct WorkshopView {
    pub title: String,
    pub language: String,
    pub step: Option<Step>,
    /// Sorted by join time, then id.
    pub roster: Vec<RosterEntry>,
}

/// Reads the document tolerantly: a field that is missing or malformed reads as empty.
pub fn view(doc: &impl ReadDoc) -> WorkshopView {
    let root = MapReader::root(doc);
    let mut roster: Vec<RosterEntry> = root
        .map("roster")
        .ok()
        .flatten()
        .map(|r| {
            r.keys()
                .into_iter()
                .filter_map(|key| {
                    let entry = r.map(&key).ok()??;
                    Some(RosterEntry {
                        id: key.parse().ok()?,
                        name: entry.string("name", usize::MAX).ok()??,
                        organisation: entry
                            .string("organisation", usize::MAX)
                            .ok()
                            .flatten()
                            .unwrap_or_default(),
                        joined_at: entry.number("joined_at").ok().flatten().unwrap_or(0.0) as i64,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    roster.sort_by_key(|r| (r.joined_at, r.id));
    WorkshopView {
        title: root
            .string("title", usize::MAX)
            .ok()
            .flatten()
            .unwrap_or_default(),
        language: root
            .string("language", 8)
            .ok()
            .flatten()
            .unwrap_or_else(|| "nl".into()),
        step: root
            .string("step", 32)
            .ok()
            .flatten()
            .and_then(|s| s.parse().ok()),
        roster,
    }
}

pub fn validate(doc: &impl ReadDoc) -> Result<(), SchemaError> {
    let root = MapReader::root(doc);
    root.only_keys(&["title", "language", "step", "roster"])?;
    root.required_string("title", MAX_TITLE)?;
    root.one_of("language", &LANGUAGES)?;
    let steps: Vec<&str> = Step::ALL.iter().map(|s| s.as_str()).collect();
    root.one_of("step", &steps)?;
    if let Some(roster) = root.map("roster")? {
        roster.at_most(MAX_ROSTER)?;
        for key in roster.keys() {
            if key.parse::<ParticipantId>().is_err() {
                return Err(SchemaError::new(
                    format!("/roster/{key}"),
                    "is not a participant id",
                ));
            }
            let entry = roster.required_map(&key)?;
            entry.only_keys(&["name", "organisation", "joined_at"])?;
            entry.required_string("name", MAX_NAME)?;
            entry.string("organisation", MAX_ORGANISATION)?;
            entry.number("joined_at")?;
        }
    }
    Ok(())
}

/// Writes the initial document of a new workshop.
pub fn init(
    tx: &mut impl Transactable,
    title: &str,
    language: &str,
) -> Result<(), automerge::AutomergeError> {
    tx.put(automerge::ROOT, "title", title)?;
    tx.put(automerge::ROOT, "language", language)?;
    tx.put(automerge::ROOT, "step", Step::Lobby.as_str())?;
    tx.put_object(automerge::ROOT, "roster", ObjType::Map)?;
    Ok(())
}

/// Adds (or updates) one person on the roster.
pub fn put_roster_entry(
    tx: &mut impl Transactable,
    entry: &RosterEntry,
) -> Result<(), automerge::AutomergeError> {
    let roster = match tx.get(automerge::ROOT, "roster")? {
        Some((automerge::Value::Object(ObjType::Map), id)) => id,
        _ => tx.put_object(automerge::ROOT, "roster", ObjType::Map)?,
    };
    let e = tx.put_object(&roster, entry.id.to_string(), ObjType::Map)?;
    tx.put(&e, "name", entry.name.as_str())?;
    tx.put(&e, "organisation", entry.organisation.as_str())?;
    tx.put(&e, "joined_at", ScalarValue::Int(entry.joined_at))?;
    Ok(())
}

/// Moves the workshop to another step.
pub fn set_step(tx: &mut impl Transactable, step: Step) -> Result<(), automerge::AutomergeError> {
    tx.put(automerge::ROOT, "step", step.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::Automerge;

    fn fresh() -> Automerge {
        let mut doc = Automerge::new();
        doc.transact::<_, _, automerge::AutomergeError>(|tx| init(tx, "Ronde 1", "nl"))
            .unwrap();
        doc
    }

    fn edited(f: impl FnOnce(&mut automerge::transaction::Transaction<'_>)) -> Automerge {
        let mut doc = fresh();
        doc.transact::<_, _, automerge::AutomergeError>(|tx| {
            f(tx);
            Ok(())
        })
        .unwrap();
        doc
    }

    #[test]
    fn a_new_workshop_fits_its_schema_and_reads_back() {
        let doc = edited(|tx| {
            put_roster_entry(
                tx,
                &RosterEntry {
                    id: ParticipantId::random(),
                    name: "An".into(),
                    organisation: "OCMW Gent".into(),
                    joined_at: 5,
                },
            )
            .unwrap()
        });
        validate(&doc).unwrap();
        let v = view(&doc);
        assert_eq!(v.title, "Ronde 1");
        assert_eq!(v.step, Some(Step::Lobby));
        assert_eq!(v.roster[0].organisation, "OCMW Gent");
    }

    /// Each case breaks the schema in one way; the error names the path.
    #[test]
    fn schema_violations_are_named() {
        let check = |f: &dyn Fn(&mut automerge::transaction::Transaction<'_>), path: &str| {
            let err = validate(&edited(|tx| f(tx))).unwrap_err();
            assert_eq!(err.path, path, "{err}");
        };
        check(&|tx| tx.put(automerge::ROOT, "evil", 1).unwrap(), "/evil");
        check(
            &|tx| tx.put(automerge::ROOT, "language", "fr").unwrap(),
            "/language",
        );
        check(
            &|tx| tx.put(automerge::ROOT, "step", "step9").unwrap(),
            "/step",
        );
        check(
            &|tx| {
                tx.put(automerge::ROOT, "title", "x".repeat(MAX_TITLE + 1))
                    .unwrap()
            },
            "/title",
        );
        check(&|tx| tx.put(automerge::ROOT, "title", 3).unwrap(), "/title");
        check(
            &|tx| {
                let r = tx.get(automerge::ROOT, "roster").unwrap().unwrap().1;
                tx.put_object(&r, "not-an-id", ObjType::Map).unwrap();
            },
            "/roster/not-an-id",
        );
    }
}
