//! A participant's reflection document: their private notes in the three circles.
//!
//! ```text
//! { owner: <participant id>,
//!   notes: { <note id>: { ring: "individual"|"collegial"|"collective", text: Text,
//!                         mark: "none"|"green"|"red", x: number, y: number } } }
//! ```
//! The ring a note sits in is its level. Only its owner writes it.

use automerge::transaction::Transactable;
use automerge::{ObjType, ReadDoc};

use super::{MapReader, SchemaError};
use crate::ids::ParticipantId;

pub const MAX_NOTES: usize = 300;
pub const MAX_NOTE_TEXT: usize = 2000;
pub const RINGS: [&str; 3] = ["individual", "collegial", "collective"];
pub const MARKS: [&str; 3] = ["none", "green", "red"];

pub fn validate(doc: &impl ReadDoc, owner: ParticipantId) -> Result<(), SchemaError> {
    let root = MapReader::root(doc);
    root.only_keys(&["owner", "notes"])?;
    let written_owner = root.required_string("owner", 64)?;
    if written_owner != owner.to_string() {
        return Err(SchemaError::new("/owner", "cannot be changed"));
    }
    if let Some(notes) = root.map("notes")? {
        notes.at_most(MAX_NOTES)?;
        for key in notes.keys() {
            if key.chars().count() > 64 {
                return Err(SchemaError::new(
                    "/notes",
                    "note ids are at most 64 characters",
                ));
            }
            let note = notes.required_map(&key)?;
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
