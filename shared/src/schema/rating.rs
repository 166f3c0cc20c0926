//! A participant's private ratings (work form 004, step 1): per building block a score of 1–5 and
//! an optional note, and one line on context and preconditions.
//!
//! ```text
//! { owner: <participant id>,
//!   blocks: { <block id>: { score?: 1..=5, note?: Text } },
//!   context?: Text }
//! ```
//! Only its owner reads and writes it; the group sees only the server's k-anonymous profile
//! (`forms::blocks::Profile`, in the workshop document). Purged when the workshop closes.

use std::collections::BTreeMap;

use automerge::transaction::Transactable;
use automerge::{ObjType, ReadDoc, ScalarValue};
use serde::{Deserialize, Serialize};

use super::{MapReader, SchemaError, ensure_map};
use crate::forms::blocks::{BlockId, SCALE};
use crate::ids::ParticipantId;

pub const MAX_NOTE: usize = 500;
pub const MAX_CONTEXT: usize = 300;

/// One block's rating.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BlockRating {
    pub score: Option<u32>,
    pub note: String,
}

/// What the owner's page reads.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RatingView {
    pub blocks: BTreeMap<BlockId, BlockRating>,
    pub context: String,
}

impl RatingView {
    /// The scores given, per block (what the profile is computed from).
    pub fn scores(&self) -> BTreeMap<BlockId, u32> {
        self.blocks
            .iter()
            .filter_map(|(b, r)| Some((*b, r.score?)))
            .collect()
    }
}

pub fn view(doc: &impl ReadDoc) -> RatingView {
    let root = MapReader::root(doc);
    let mut out = RatingView {
        context: root
            .string("context", usize::MAX)
            .ok()
            .flatten()
            .unwrap_or_default(),
        ..RatingView::default()
    };
    if let Some(blocks) = root.map("blocks").ok().flatten() {
        for block in BlockId::ALL {
            let Some(b) = blocks.map(block.as_str()).ok().flatten() else {
                continue;
            };
            let score = b
                .number("score")
                .ok()
                .flatten()
                .map(|n| n as u32)
                .filter(|s| SCALE.contains(s));
            let note = b
                .string("note", usize::MAX)
                .ok()
                .flatten()
                .unwrap_or_default();
            out.blocks.insert(block, BlockRating { score, note });
        }
    }
    out
}

pub fn validate(doc: &impl ReadDoc, owner: ParticipantId) -> Result<(), SchemaError> {
    let root = MapReader::root(doc);
    root.only_keys(&["owner", "blocks", "context"])?;
    if root.required_string("owner", 64)? != owner.to_string() {
        return Err(SchemaError::new("/owner", "cannot be changed"));
    }
    root.string("context", MAX_CONTEXT)?;
    if let Some(blocks) = root.map("blocks")? {
        let ids: Vec<&str> = BlockId::ALL.iter().map(|b| b.as_str()).collect();
        blocks.only_keys(&ids)?;
        for (key, b) in blocks.map_entries()? {
            b.only_keys(&["score", "note"])?;
            let score = b.number_in("score", f64::from(*SCALE.start()), f64::from(*SCALE.end()))?;
            if score.is_some_and(|s| s.fract() != 0.0) {
                return Err(SchemaError::new(
                    format!("/blocks/{key}/score"),
                    "must be a whole number",
                ));
            }
            b.string("note", MAX_NOTE)?;
        }
    }
    Ok(())
}

/// Writes the initial document of a participant's ratings.
pub fn init(
    tx: &mut impl Transactable,
    owner: ParticipantId,
) -> Result<(), automerge::AutomergeError> {
    tx.put(automerge::ROOT, "owner", owner.to_string())?;
    tx.put_object(automerge::ROOT, "blocks", ObjType::Map)?;
    Ok(())
}

/// Rates a block (or clears its rating with `None`).
pub fn set_score(
    tx: &mut impl Transactable,
    block: BlockId,
    score: Option<u32>,
) -> Result<(), automerge::AutomergeError> {
    let blocks = ensure_map(tx, &automerge::ROOT, "blocks")?;
    let b = ensure_map(tx, &blocks, block.as_str())?;
    match score {
        Some(s) => tx.put(&b, "score", ScalarValue::Int(i64::from(s))),
        None => match tx.get(&b, "score")? {
            Some(_) => tx.delete(&b, "score"),
            None => Ok(()),
        },
    }
}

/// Replaces a block's note.
pub fn set_note(
    tx: &mut impl Transactable,
    block: BlockId,
    note: &str,
) -> Result<(), automerge::AutomergeError> {
    let blocks = ensure_map(tx, &automerge::ROOT, "blocks")?;
    let b = ensure_map(tx, &blocks, block.as_str())?;
    let t = match tx.get(&b, "note")? {
        Some((automerge::Value::Object(ObjType::Text), t)) => t,
        _ => tx.put_object(&b, "note", ObjType::Text)?,
    };
    tx.update_text(&t, note)
}

/// Replaces the line on context and preconditions.
pub fn set_context(
    tx: &mut impl Transactable,
    text: &str,
) -> Result<(), automerge::AutomergeError> {
    let t = match tx.get(automerge::ROOT, "context")? {
        Some((automerge::Value::Object(ObjType::Text), t)) => t,
        _ => tx.put_object(automerge::ROOT, "context", ObjType::Text)?,
    };
    tx.update_text(&t, text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::{Automerge, AutomergeError};

    fn rated(
        owner: ParticipantId,
        f: impl FnOnce(&mut automerge::transaction::Transaction<'_>),
    ) -> Automerge {
        let mut doc = Automerge::new();
        doc.transact::<_, _, AutomergeError>(|tx| {
            init(tx, owner)?;
            f(tx);
            Ok(())
        })
        .unwrap();
        doc
    }

    #[test]
    fn ratings_notes_and_context_are_written_and_read() {
        let me = ParticipantId::random();
        let doc = rated(me, |tx| {
            set_score(tx, BlockId::Trusting, Some(2)).unwrap();
            set_note(tx, BlockId::Trusting, "Nog te nieuw").unwrap();
            set_score(tx, BlockId::Knowing, Some(4)).unwrap();
            set_score(tx, BlockId::Knowing, None).unwrap();
            set_context(tx, "Weinig tijd").unwrap();
        });
        validate(&doc, me).unwrap();
        let v = view(&doc);
        assert_eq!(v.scores(), [(BlockId::Trusting, 2)].into_iter().collect());
        assert_eq!(v.blocks[&BlockId::Trusting].note, "Nog te nieuw");
        assert_eq!(v.context, "Weinig tijd");
    }

    /// Each case breaks the schema in one way; the error names the path.
    #[test]
    fn schema_violations_are_named() {
        let me = ParticipantId::random();
        let check = |f: &dyn Fn(&mut automerge::transaction::Transaction<'_>), path: &str| {
            let err = validate(&rated(me, |tx| f(tx)), me).unwrap_err();
            assert_eq!(err.path, path, "{err}");
        };
        check(
            &|tx| set_score(tx, BlockId::Knowing, Some(6)).unwrap(),
            "/blocks/knowing/score",
        );
        check(
            &|tx| set_score(tx, BlockId::Knowing, Some(0)).unwrap(),
            "/blocks/knowing/score",
        );
        check(
            &|tx| {
                let b = ensure_map(tx, &automerge::ROOT, "blocks").unwrap();
                let k = ensure_map(tx, &b, "knowing").unwrap();
                tx.put(&k, "score", 2.5).unwrap();
            },
            "/blocks/knowing/score",
        );
        check(
            &|tx| {
                let b = ensure_map(tx, &automerge::ROOT, "blocks").unwrap();
                ensure_map(tx, &b, "luck").unwrap();
            },
            "/blocks/luck",
        );
        check(
            &|tx| set_note(tx, BlockId::Trusting, &"x".repeat(MAX_NOTE + 1)).unwrap(),
            "/blocks/trusting/note",
        );
        check(
            &|tx| set_context(tx, &"x".repeat(MAX_CONTEXT + 1)).unwrap(),
            "/context",
        );
        check(
            &|tx| tx.put(automerge::ROOT, "owner", "someone").unwrap(),
            "/owner",
        );
        check(&|tx| tx.put(automerge::ROOT, "evil", 1).unwrap(), "/evil");
    }
}
