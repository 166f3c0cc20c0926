//! A participant's reflection document: their private notes in the three circles.
//!
//! ```text
//! { owner: <participant id>,
//!   notes: { <note id>: { ring: "individual"|"collegial"|"collective", text: Text,
//!                         mark: "none"|"green"|"red", x: number, y: number } } }
//! ```
//! The ring a note sits in is its level. Only its owner writes it.

use automerge::transaction::Transactable;
use automerge::{ObjId, ObjType, ReadDoc, ScalarValue};
use serde::{Deserialize, Serialize};

use super::{MapReader, SchemaError};
use crate::ids::ParticipantId;
use crate::method::LevelId;

pub const MAX_NOTES: usize = 300;
pub const MAX_NOTE_TEXT: usize = 2000;
/// The rings a note may sit in: the levels' ids, inner to outer.
pub const RINGS: [&str; 3] = LevelId::NAMES;
/// The marks a note may carry.
pub const MARKS: [&str; 3] = Mark::NAMES;

crate::closed_set! {
    /// How its owner marked a note (only shown when the plan asks for marks): nothing, green
    /// (goes well) or red (needs attention).
    #[derive(Default)]
    pub enum Mark {
        #[default]
        None => "none",
        Green => "green",
        Red => "red",
    }
}

pub fn validate(doc: &impl ReadDoc, owner: ParticipantId) -> Result<(), SchemaError> {
    validate_in(doc, owner, None)
}

/// [`validate`], or after a change only the notes it touched (see [`super::validate_changed`]).
pub(crate) fn validate_in(
    doc: &impl ReadDoc,
    owner: ParticipantId,
    changed: Option<&super::Changed>,
) -> Result<(), SchemaError> {
    let root = MapReader::root_in(doc, changed);
    root.only_keys(&["owner", "notes"])?;
    let written_owner = root.required_string("owner", 64)?;
    if written_owner != owner.to_string() {
        return Err(SchemaError::new("/owner", "cannot be changed"));
    }
    if let Some(notes) = root.map("notes")? {
        notes.at_most(MAX_NOTES)?;
        for (key, note) in notes.changed_entries()? {
            if key.chars().count() > 64 {
                return Err(SchemaError::new(
                    "/notes",
                    "note ids are at most 64 characters",
                ));
            }
            note.only_keys(&["ring", "text", "mark", "x", "y", "question"])?;
            note.one_of("ring", &RINGS)?;
            note.string("text", MAX_NOTE_TEXT)?;
            note.one_of("mark", &MARKS)?;
            note.number("x")?;
            note.number("y")?;
            note.string("question", 64)?;
        }
    }
    Ok(())
}

/// One note, as views read it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Note {
    pub id: String,
    /// The ring it sits in, which is its level.
    pub ring: LevelId,
    pub text: String,
    pub mark: Mark,
    pub x: f64,
    pub y: f64,
    pub question: Option<String>,
}

/// Every note, tolerantly read, sorted by id (stable across replicas).
pub fn notes(doc: &impl ReadDoc) -> Vec<Note> {
    let root = MapReader::root(doc);
    let Some(notes) = root.map("notes").ok().flatten() else {
        return vec![];
    };
    let mut out: Vec<Note> = notes
        .keys()
        .into_iter()
        .filter_map(|id| {
            let n = notes.map(&id).ok()??;
            Some(Note {
                // A note in no known ring has no place on the sheet (the schema refuses it).
                ring: LevelId::parse(&n.string("ring", 32).ok()??)?,
                text: n
                    .string("text", usize::MAX)
                    .ok()
                    .flatten()
                    .unwrap_or_default(),
                mark: n
                    .string("mark", 16)
                    .ok()
                    .flatten()
                    .and_then(|m| Mark::parse(&m))
                    .unwrap_or_default(),
                x: n.number("x").ok().flatten().unwrap_or(0.0),
                y: n.number("y").ok().flatten().unwrap_or(0.0),
                question: n
                    .string("question", 64)
                    .ok()
                    .flatten()
                    .filter(|q| !q.is_empty()),
                id,
            })
        })
        .collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

fn notes_map(tx: &mut impl Transactable) -> Result<ObjId, automerge::AutomergeError> {
    match tx.get(automerge::ROOT, "notes")? {
        Some((automerge::Value::Object(ObjType::Map), id)) => Ok(id),
        _ => tx.put_object(automerge::ROOT, "notes", ObjType::Map),
    }
}

fn note_obj(
    tx: &mut impl Transactable,
    id: &str,
) -> Result<Option<ObjId>, automerge::AutomergeError> {
    let notes = notes_map(tx)?;
    Ok(match tx.get(&notes, id)? {
        Some((automerge::Value::Object(ObjType::Map), obj)) => Some(obj),
        _ => None,
    })
}

/// Adds a note (or puts one back after an undo), text as a Text object so that concurrent
/// edits merge character by character.
pub fn put_note(tx: &mut impl Transactable, note: &Note) -> Result<(), automerge::AutomergeError> {
    let notes = notes_map(tx)?;
    let n = tx.put_object(&notes, note.id.as_str(), ObjType::Map)?;
    tx.put(&n, "ring", note.ring.as_str())?;
    let text = tx.put_object(&n, "text", ObjType::Text)?;
    tx.splice_text(&text, 0, 0, &note.text)?;
    tx.put(&n, "mark", note.mark.as_str())?;
    tx.put(&n, "x", ScalarValue::F64(note.x))?;
    tx.put(&n, "y", ScalarValue::F64(note.y))?;
    if let Some(q) = &note.question {
        tx.put(&n, "question", q.as_str())?;
    }
    Ok(())
}

/// Replaces a note's text, as a minimal edit of the Text object.
pub fn set_text(
    tx: &mut impl Transactable,
    id: &str,
    text: &str,
) -> Result<(), automerge::AutomergeError> {
    let Some(n) = note_obj(tx, id)? else {
        return Ok(());
    };
    let t = match tx.get(&n, "text")? {
        Some((automerge::Value::Object(ObjType::Text), t)) => t,
        _ => tx.put_object(&n, "text", ObjType::Text)?,
    };
    tx.update_text(&t, text)
}

/// Moves a note: its ring (= its level) and position.
pub fn move_note(
    tx: &mut impl Transactable,
    id: &str,
    ring: LevelId,
    x: f64,
    y: f64,
) -> Result<(), automerge::AutomergeError> {
    let Some(n) = note_obj(tx, id)? else {
        return Ok(());
    };
    tx.put(&n, "ring", ring.as_str())?;
    tx.put(&n, "x", ScalarValue::F64(x))?;
    tx.put(&n, "y", ScalarValue::F64(y))
}

/// Sets a note's mark.
pub fn set_mark(
    tx: &mut impl Transactable,
    id: &str,
    mark: Mark,
) -> Result<(), automerge::AutomergeError> {
    let Some(n) = note_obj(tx, id)? else {
        return Ok(());
    };
    tx.put(&n, "mark", mark.as_str())
}

/// Links a note to one of its ring's questions, or unlinks it.
pub fn set_question(
    tx: &mut impl Transactable,
    id: &str,
    question: Option<&str>,
) -> Result<(), automerge::AutomergeError> {
    let Some(n) = note_obj(tx, id)? else {
        return Ok(());
    };
    match question {
        Some(q) => tx.put(&n, "question", q),
        None => tx.delete(&n, "question"),
    }
}

/// Deletes a note.
pub fn delete_note(tx: &mut impl Transactable, id: &str) -> Result<(), automerge::AutomergeError> {
    let notes = notes_map(tx)?;
    tx.delete(&notes, id)
}

/// Writes the initial document of a participant's reflection.
pub fn init(
    tx: &mut impl Transactable,
    owner: ParticipantId,
) -> Result<(), automerge::AutomergeError> {
    tx.put(automerge::ROOT, "owner", owner.to_string())?;
    tx.put_object(automerge::ROOT, "notes", ObjType::Map)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::Automerge;

    fn doc_with(
        owner: ParticipantId,
        f: impl FnOnce(&mut automerge::transaction::Transaction<'_>),
    ) -> Automerge {
        let mut doc = Automerge::new();
        doc.transact::<_, _, automerge::AutomergeError>(|tx| {
            init(tx, owner)?;
            f(tx);
            Ok(())
        })
        .unwrap();
        doc
    }

    fn note(tx: &mut automerge::transaction::Transaction<'_>, ring: &str, text: &str) {
        let notes = tx.get(automerge::ROOT, "notes").unwrap().unwrap().1;
        let n = tx.put_object(&notes, "n1", ObjType::Map).unwrap();
        tx.put(&n, "ring", ring).unwrap();
        let t = tx.put_object(&n, "text", ObjType::Text).unwrap();
        tx.splice_text(&t, 0, 0, text).unwrap();
        tx.put(&n, "mark", "green").unwrap();
    }

    #[test]
    fn a_note_in_a_ring_is_valid() {
        let me = ParticipantId::random();
        validate(&doc_with(me, |tx| note(tx, "collegial", "ik help")), me).unwrap();
    }

    #[test]
    fn a_note_outside_the_three_rings_is_refused() {
        let me = ParticipantId::random();
        let err = validate(&doc_with(me, |tx| note(tx, "cosmic", "x")), me).unwrap_err();
        assert_eq!(err.path, "/notes/n1/ring");
    }

    #[test]
    fn an_oversized_note_is_refused() {
        let me = ParticipantId::random();
        let long = "a".repeat(MAX_NOTE_TEXT + 1);
        let err = validate(&doc_with(me, |tx| note(tx, "individual", &long)), me).unwrap_err();
        assert_eq!(err.path, "/notes/n1/text");
    }

    #[test]
    fn notes_are_added_edited_moved_marked_and_deleted() {
        let me = ParticipantId::random();
        let mut doc = doc_with(me, |_| {});
        let edit = |doc: &mut Automerge,
                    f: &dyn Fn(&mut automerge::transaction::Transaction<'_>)| {
            doc.transact::<_, _, automerge::AutomergeError>(|tx| {
                f(tx);
                Ok(())
            })
            .unwrap();
        };
        let note = Note {
            id: "a".into(),
            ring: LevelId::Individual,
            text: "ik plan".into(),
            mark: Mark::None,
            x: 500.0,
            y: 500.0,
            question: None,
        };
        edit(&mut doc, &|tx| put_note(tx, &note).unwrap());
        edit(&mut doc, &|tx| {
            set_text(tx, "a", "ik plan mijn week").unwrap()
        });
        edit(&mut doc, &|tx| {
            move_note(tx, "a", LevelId::Collective, 100.0, 500.0).unwrap()
        });
        edit(&mut doc, &|tx| set_mark(tx, "a", Mark::Red).unwrap());
        edit(&mut doc, &|tx| {
            set_question(tx, "a", Some("collective-1")).unwrap()
        });
        validate(&doc, me).unwrap();
        let read = notes(&doc);
        assert_eq!(read.len(), 1);
        assert_eq!(
            (
                read[0].text.as_str(),
                read[0].ring,
                read[0].mark,
                read[0].question.as_deref()
            ),
            (
                "ik plan mijn week",
                LevelId::Collective,
                Mark::Red,
                Some("collective-1")
            )
        );
        edit(&mut doc, &|tx| delete_note(tx, "a").unwrap());
        assert!(notes(&doc).is_empty());
    }

    #[test]
    fn concurrent_typing_in_one_note_keeps_both_texts() {
        let me = ParticipantId::random();
        let mut a = doc_with(me, |tx| {
            put_note(
                tx,
                &Note {
                    id: "n".into(),
                    ring: LevelId::Collegial,
                    text: "samen".into(),
                    mark: Mark::None,
                    x: 0.0,
                    y: 0.0,
                    question: None,
                },
            )
            .unwrap()
        });
        let mut b = a.fork();
        a.transact::<_, _, automerge::AutomergeError>(|tx| set_text(tx, "n", "samen leren"))
            .unwrap();
        b.transact::<_, _, automerge::AutomergeError>(|tx| set_text(tx, "n", "echt samen"))
            .unwrap();
        a.merge(&mut b).unwrap();
        let text = &notes(&a)[0].text;
        assert!(text.contains("leren") && text.contains("echt"), "{text}");
    }

    #[test]
    fn the_owner_cannot_be_rewritten() {
        let me = ParticipantId::random();
        let doc = doc_with(me, |tx| {
            tx.put(
                automerge::ROOT,
                "owner",
                ParticipantId::random().to_string(),
            )
            .unwrap()
        });
        assert_eq!(validate(&doc, me).unwrap_err().path, "/owner");
    }
}
