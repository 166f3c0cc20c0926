//! A participant's voice in the plenary (step 3): their energy dots per level, short cards (what is
//! needed, where are chances, a question for a duo) and their one small change.
//!
//! ```text
//! { owner: <participant id>,
//!   energy: { individual?: int, collegial?: int, collective?: int },  // dots; total ≤ the plan's
//!   cards: { <id>: { kind: "needed"|"chance"|"question", text: Text, duo?: <duo id> } },
//!   actions?: { <id>: { block: <block id>, text: Text } },               // 004
//!   dots?: { <card key>: int },                                           // 004: total ≤ the plan's
//!   canvas?: { <id>: { field: <canvas field id>, text: Text } },         // 001
//!   change?: { text: Text, level: level } }
//! ```
//! In work form 004 the cards are actions per building block ("hoe versterken we dit?") and the
//! dots go on actions (anyone's, by card key) instead of levels. In work form 001 they are cards
//! on the consensus canvas, one field each; everyone reads them from the canvas step on.
//! Each participant has one, so nobody can alter anyone else's contribution. Its owner writes it
//! (not while the round runs: no reactions then); everyone reads it from step 3 on.

use automerge::transaction::Transactable;
use automerge::{ObjType, ReadDoc, ScalarValue};
use serde::{Deserialize, Serialize};

use super::{MapReader, SchemaError, ensure_map};
use crate::forms::agreements::FieldId;
use crate::forms::blocks::BlockId;
use crate::ids::{DuoId, ParticipantId};
use crate::method::LevelId;

pub const MAX_CARDS: usize = 30;
pub const MAX_CARD_TEXT: usize = 300;
/// The most energy dots a plan can give one person.
pub const MAX_ENERGY_DOTS: u32 = 10;
pub const CARD_KINDS: [&str; 3] = CardKind::NAMES;

crate::closed_set! {
    /// What a short card of a participant is.
    pub enum CardKind {
        /// "Wat is er nodig?": goes on the table.
        Needed => "needed",
        /// "Waar liggen kansen?": goes on the table.
        Chance => "chance",
        /// A question for one duo: asked in the round, never on the table.
        Question => "question",
    }
}

/// A short card of a participant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoiceCard {
    pub id: String,
    pub kind: CardKind,
    pub text: String,
    /// For a question: the duo it is for.
    pub duo: Option<DuoId>,
}

/// An action of work form 004: how to strengthen one building block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    pub id: String,
    pub block: BlockId,
    pub text: String,
}

/// A card of work form 001 on one field of the consensus canvas.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CanvasCard {
    pub id: String,
    pub field: FieldId,
    pub text: String,
}

/// One small change in one's own actions, and the level it affects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmallChange {
    pub text: String,
    pub level: LevelId,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct VoiceView {
    /// Dots per level (missing levels are 0).
    pub energy: std::collections::BTreeMap<LevelId, u32>,
    /// Sorted by id.
    pub cards: Vec<VoiceCard>,
    pub change: Option<SmallChange>,
    /// 004's actions, sorted by id.
    #[serde(default)]
    pub actions: Vec<Action>,
    /// Dots on cards (004's actions), by card key.
    #[serde(default)]
    pub card_dots: std::collections::BTreeMap<String, u32>,
    /// 001's canvas cards, sorted by id.
    #[serde(default)]
    pub canvas: Vec<CanvasCard>,
}

impl VoiceView {
    /// Dots placed, on levels and on cards.
    pub fn dots(&self) -> u32 {
        self.energy.values().sum::<u32>() + self.card_dots.values().sum::<u32>()
    }
}

pub fn view(doc: &impl ReadDoc) -> VoiceView {
    let root = MapReader::root(doc);
    let mut out = VoiceView::default();
    if let Some(e) = root.map("energy").ok().flatten() {
        for level in LevelId::ALL {
            let n = e.number(level.as_str()).ok().flatten().unwrap_or(0.0);
            if n > 0.0 {
                out.energy
                    .insert(level, n.min(f64::from(MAX_ENERGY_DOTS)) as u32);
            }
        }
    }
    if let Some(cards) = root.map("cards").ok().flatten() {
        for id in cards.keys() {
            let Some(c) = cards.map(&id).ok().flatten() else {
                continue;
            };
            let (Some(kind), Some(text)) = (
                c.one_of("kind", &CARD_KINDS)
                    .ok()
                    .flatten()
                    .and_then(|k| CardKind::parse(&k)),
                c.string("text", usize::MAX).ok().flatten(),
            ) else {
                continue;
            };
            out.cards.push(VoiceCard {
                id,
                kind,
                text,
                duo: c
                    .string("duo", 64)
                    .ok()
                    .flatten()
                    .and_then(|d| d.parse().ok()),
            });
        }
    }
    if let Some(actions) = root.map("actions").ok().flatten() {
        for id in actions.keys() {
            let Some(a) = actions.map(&id).ok().flatten() else {
                continue;
            };
            let (Some(block), Some(text)) = (
                a.string("block", 32)
                    .ok()
                    .flatten()
                    .and_then(|b| BlockId::parse(&b)),
                a.string("text", usize::MAX).ok().flatten(),
            ) else {
                continue;
            };
            out.actions.push(Action { id, block, text });
        }
    }
    if let Some(canvas) = root.map("canvas").ok().flatten() {
        for id in canvas.keys() {
            let Some(c) = canvas.map(&id).ok().flatten() else {
                continue;
            };
            let (Some(field), Some(text)) = (
                c.string("field", 32)
                    .ok()
                    .flatten()
                    .and_then(|f| FieldId::parse(&f)),
                c.string("text", usize::MAX).ok().flatten(),
            ) else {
                continue;
            };
            out.canvas.push(CanvasCard { id, field, text });
        }
    }
    if let Some(d) = root.map("dots").ok().flatten() {
        for key in d.keys() {
            let n = d.number(&key).ok().flatten().unwrap_or(0.0);
            if n > 0.0 {
                out.card_dots
                    .insert(key, n.min(f64::from(MAX_ENERGY_DOTS)) as u32);
            }
        }
    }
    out.change = root.map("change").ok().flatten().and_then(|c| {
        Some(SmallChange {
            text: c.string("text", usize::MAX).ok()??,
            level: LevelId::parse(&c.string("level", 32).ok()??)?,
        })
    });
    out
}

/// Checks the document; `dots` is the plan's number of energy dots per person.
pub fn validate(doc: &impl ReadDoc, owner: ParticipantId, dots: u32) -> Result<(), SchemaError> {
    validate_in(doc, owner, dots, None)
}

/// [`validate`], or after a change only the cards, actions and canvas cards it touched (see
/// [`super::validate_changed`]); the dots are always counted whole.
pub(crate) fn validate_in(
    doc: &impl ReadDoc,
    owner: ParticipantId,
    dots: u32,
    changed: Option<&super::Changed>,
) -> Result<(), SchemaError> {
    let root = MapReader::root_in(doc, changed);
    root.only_keys(&[
        "owner", "energy", "cards", "change", "actions", "dots", "canvas",
    ])?;
    if root.required_string("owner", 64)? != owner.to_string() {
        return Err(SchemaError::new("/owner", "is not this document's owner"));
    }
    let levels: Vec<&str> = LevelId::ALL.iter().map(|l| l.as_str()).collect();
    let mut total = 0.0;
    if let Some(e) = root.map("energy")? {
        e.only_keys(&levels)?;
        for level in &levels {
            let n = e.number_in(level, 0.0, f64::from(MAX_ENERGY_DOTS))?;
            if n.is_some_and(|n| n.fract() != 0.0) {
                return Err(SchemaError::new(
                    format!("/energy/{level}"),
                    "must be a whole number",
                ));
            }
            total += n.unwrap_or(0.0);
        }
        if total > f64::from(dots) {
            return Err(SchemaError::new(
                "/energy",
                format!("{total} dots placed, each person has {dots}"),
            ));
        }
    }
    if let Some(d) = root.map("dots")? {
        d.at_most(super::table::MAX_CARDS)?;
        for key in d.keys() {
            if key.chars().count() > super::table::MAX_KEY {
                return Err(SchemaError::new("/dots", "is not a card key"));
            }
            let n = d.number_in(&key, 0.0, f64::from(MAX_ENERGY_DOTS))?;
            if n.is_some_and(|n| n.fract() != 0.0) {
                return Err(SchemaError::new(
                    format!("/dots/{key}"),
                    "must be a whole number",
                ));
            }
            total += n.unwrap_or(0.0);
        }
        if total > f64::from(dots) {
            return Err(SchemaError::new(
                "/dots",
                format!("{total} dots placed, each person has {dots}"),
            ));
        }
    }
    if let Some(cards) = root.map("cards")? {
        cards.at_most(MAX_CARDS)?;
        for (id, c) in cards.changed_entries()? {
            if id.chars().count() > 64 {
                return Err(SchemaError::new(
                    format!("/cards/{id}"),
                    "is not a usable id",
                ));
            }
            c.only_keys(&["kind", "text", "duo"])?;
            let kind = c
                .one_of("kind", &CARD_KINDS)?
                .ok_or_else(|| SchemaError::new(format!("/cards/{id}/kind"), "is missing"))?;
            c.required_string("text", MAX_CARD_TEXT)?;
            let duo = c.string("duo", 64)?;
            if duo.as_deref().is_some_and(|d| d.parse::<DuoId>().is_err())
                || (kind == CardKind::Question.as_str()) != duo.is_some()
            {
                return Err(SchemaError::new(
                    format!("/cards/{id}/duo"),
                    "a question names one duo; other cards name none",
                ));
            }
        }
    }
    if let Some(actions) = root.map("actions")? {
        actions.at_most(MAX_CARDS)?;
        let blocks: Vec<&str> = BlockId::ALL.iter().map(|b| b.as_str()).collect();
        for (id, a) in actions.changed_entries()? {
            if id.chars().count() > 64 {
                return Err(SchemaError::new(
                    format!("/actions/{id}"),
                    "is not a usable id",
                ));
            }
            a.only_keys(&["block", "text"])?;
            if a.one_of("block", &blocks)?.is_none() {
                return Err(SchemaError::new(
                    format!("/actions/{id}/block"),
                    "is missing",
                ));
            }
            a.required_string("text", MAX_CARD_TEXT)?;
        }
    }
    if let Some(canvas) = root.map("canvas")? {
        canvas.at_most(MAX_CARDS)?;
        for (id, c) in canvas.changed_entries()? {
            if id.chars().count() > 64 {
                return Err(SchemaError::new(
                    format!("/canvas/{id}"),
                    "is not a usable id",
                ));
            }
            c.only_keys(&["field", "text"])?;
            if c.one_of("field", &FieldId::NAMES)?.is_none() {
                return Err(SchemaError::new(
                    format!("/canvas/{id}/field"),
                    "is missing",
                ));
            }
            c.required_string("text", MAX_CARD_TEXT)?;
        }
    }
    if let Some(c) = root.map("change")? {
        c.only_keys(&["text", "level"])?;
        c.required_string("text", MAX_CARD_TEXT)?;
        if c.one_of("level", &levels)?.is_none() {
            return Err(SchemaError::new("/change/level", "is missing"));
        }
    }
    Ok(())
}

/// Writes the initial document of a participant's voice.
pub fn init(
    tx: &mut impl Transactable,
    owner: ParticipantId,
) -> Result<(), automerge::AutomergeError> {
    tx.put(automerge::ROOT, "owner", owner.to_string())?;
    tx.put_object(automerge::ROOT, "energy", ObjType::Map)?;
    tx.put_object(automerge::ROOT, "cards", ObjType::Map)?;
    Ok(())
}

/// Sets the number of dots on a level.
pub fn set_energy(
    tx: &mut impl Transactable,
    level: LevelId,
    dots: u32,
) -> Result<(), automerge::AutomergeError> {
    let e = ensure_map(tx, &automerge::ROOT, "energy")?;
    tx.put(&e, level.as_str(), ScalarValue::Int(i64::from(dots)))
}

/// Adds a card (its text as collaborative text).
pub fn add_card(
    tx: &mut impl Transactable,
    card: &VoiceCard,
) -> Result<(), automerge::AutomergeError> {
    let cards = ensure_map(tx, &automerge::ROOT, "cards")?;
    let c = tx.put_object(&cards, card.id.as_str(), ObjType::Map)?;
    tx.put(&c, "kind", card.kind.as_str())?;
    let t = tx.put_object(&c, "text", ObjType::Text)?;
    tx.splice_text(&t, 0, 0, &card.text)?;
    if let Some(duo) = card.duo {
        tx.put(&c, "duo", duo.to_string())?;
    }
    Ok(())
}

/// Adds an action (004), its text as collaborative text.
pub fn add_action(
    tx: &mut impl Transactable,
    action: &Action,
) -> Result<(), automerge::AutomergeError> {
    let actions = ensure_map(tx, &automerge::ROOT, "actions")?;
    let a = tx.put_object(&actions, action.id.as_str(), ObjType::Map)?;
    tx.put(&a, "block", action.block.as_str())?;
    let t = tx.put_object(&a, "text", ObjType::Text)?;
    tx.splice_text(&t, 0, 0, &action.text)?;
    Ok(())
}

pub fn delete_action(
    tx: &mut impl Transactable,
    id: &str,
) -> Result<(), automerge::AutomergeError> {
    let actions = ensure_map(tx, &automerge::ROOT, "actions")?;
    match tx.get(&actions, id)? {
        Some(_) => tx.delete(&actions, id),
        None => Ok(()),
    }
}

/// Adds a card to a field of 001's canvas, its text as collaborative text.
pub fn add_canvas_card(
    tx: &mut impl Transactable,
    card: &CanvasCard,
) -> Result<(), automerge::AutomergeError> {
    let canvas = ensure_map(tx, &automerge::ROOT, "canvas")?;
    let c = tx.put_object(&canvas, card.id.as_str(), ObjType::Map)?;
    tx.put(&c, "field", card.field.as_str())?;
    let t = tx.put_object(&c, "text", ObjType::Text)?;
    tx.splice_text(&t, 0, 0, &card.text)
}

/// Replaces a canvas card's text: its author taking the facilitator's rewording.
pub fn set_canvas_text(
    tx: &mut impl Transactable,
    id: &str,
    text: &str,
) -> Result<(), automerge::AutomergeError> {
    let canvas = ensure_map(tx, &automerge::ROOT, "canvas")?;
    let Some((automerge::Value::Object(ObjType::Map), c)) = tx.get(&canvas, id)? else {
        return Ok(());
    };
    let t = match tx.get(&c, "text")? {
        Some((automerge::Value::Object(ObjType::Text), t)) => t,
        _ => tx.put_object(&c, "text", ObjType::Text)?,
    };
    tx.update_text(&t, text)
}

pub fn delete_canvas_card(
    tx: &mut impl Transactable,
    id: &str,
) -> Result<(), automerge::AutomergeError> {
    let canvas = ensure_map(tx, &automerge::ROOT, "canvas")?;
    match tx.get(&canvas, id)? {
        Some(_) => tx.delete(&canvas, id),
        None => Ok(()),
    }
}

/// Sets the number of dots on a card (004's actions), by its table key.
pub fn set_card_dots(
    tx: &mut impl Transactable,
    key: &str,
    dots: u32,
) -> Result<(), automerge::AutomergeError> {
    let d = ensure_map(tx, &automerge::ROOT, "dots")?;
    if dots == 0 {
        return match tx.get(&d, key)? {
            Some(_) => tx.delete(&d, key),
            None => Ok(()),
        };
    }
    tx.put(&d, key, ScalarValue::Int(i64::from(dots)))
}

pub fn delete_card(tx: &mut impl Transactable, id: &str) -> Result<(), automerge::AutomergeError> {
    let cards = ensure_map(tx, &automerge::ROOT, "cards")?;
    match tx.get(&cards, id)? {
        Some(_) => tx.delete(&cards, id),
        None => Ok(()),
    }
}

/// Writes (or clears, with empty text) the small change.
pub fn set_change(
    tx: &mut impl Transactable,
    change: Option<&SmallChange>,
) -> Result<(), automerge::AutomergeError> {
    let Some(change) = change.filter(|c| !c.text.trim().is_empty()) else {
        return match tx.get(automerge::ROOT, "change")? {
            Some(_) => tx.delete(automerge::ROOT, "change"),
            None => Ok(()),
        };
    };
    let c = ensure_map(tx, &automerge::ROOT, "change")?;
    tx.put(&c, "text", change.text.as_str())?;
    tx.put(&c, "level", change.level.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::{Automerge, AutomergeError};

    fn voice(owner: ParticipantId) -> Automerge {
        let mut doc = Automerge::new();
        doc.transact::<_, _, AutomergeError>(|tx| init(tx, owner))
            .unwrap();
        doc
    }

    fn edit(doc: &mut Automerge, f: impl FnOnce(&mut automerge::transaction::Transaction<'_>)) {
        doc.transact::<_, _, AutomergeError>(|tx| {
            f(tx);
            Ok(())
        })
        .unwrap();
    }

    #[test]
    fn energy_cards_and_a_small_change_are_written_and_read() {
        let me = ParticipantId::random();
        let duo = DuoId::random();
        let mut doc = voice(me);
        edit(&mut doc, |tx| {
            set_energy(tx, LevelId::Collective, 2).unwrap();
            set_energy(tx, LevelId::Individual, 1).unwrap();
            add_card(
                tx,
                &VoiceCard {
                    id: "q".into(),
                    kind: CardKind::Question,
                    text: "Hoe deden jullie dat?".into(),
                    duo: Some(duo),
                },
            )
            .unwrap();
            add_card(
                tx,
                &VoiceCard {
                    id: "n".into(),
                    kind: CardKind::Needed,
                    text: "Tijd om elkaar te kennen".into(),
                    duo: None,
                },
            )
            .unwrap();
            set_change(
                tx,
                Some(&SmallChange {
                    text: "Ik bel eerst".into(),
                    level: LevelId::Collegial,
                }),
            )
            .unwrap();
        });
        validate(&doc, me, 3).unwrap();
        let v = view(&doc);
        assert_eq!(v.dots(), 3);
        assert_eq!(v.energy[&LevelId::Collective], 2);
        assert_eq!(v.cards.len(), 2);
        assert_eq!(v.cards[1].duo, Some(duo));
        assert_eq!(v.change.as_ref().unwrap().level, LevelId::Collegial);
        edit(&mut doc, |tx| {
            delete_card(tx, "q").unwrap();
            set_change(tx, None).unwrap();
        });
        let v = view(&doc);
        assert_eq!((v.cards.len(), v.change), (1, None));
    }

    #[test]
    fn actions_name_a_block_and_dots_on_cards_count_against_the_plan() {
        let me = ParticipantId::random();
        let mut doc = voice(me);
        edit(&mut doc, |tx| {
            add_action(
                tx,
                &Action {
                    id: "a".into(),
                    block: BlockId::Trusting,
                    text: "Elkaar opzoeken".into(),
                },
            )
            .unwrap();
            set_card_dots(tx, &format!("{me}.a"), 2).unwrap();
            set_card_dots(tx, "someone.else", 1).unwrap();
        });
        validate(&doc, me, 3).unwrap();
        let v = view(&doc);
        assert_eq!(v.actions[0].block, BlockId::Trusting);
        assert_eq!(v.dots(), 3);
        assert_eq!(validate(&doc, me, 2).unwrap_err().path, "/dots");
        edit(&mut doc, |tx| {
            let actions = ensure_map(tx, &automerge::ROOT, "actions").unwrap();
            let b = tx.put_object(&actions, "b", ObjType::Map).unwrap();
            tx.put(&b, "text", "zonder bouwsteen").unwrap();
        });
        assert_eq!(validate(&doc, me, 3).unwrap_err().path, "/actions/b/block");
    }

    #[test]
    fn more_dots_than_the_plan_gives_are_refused() {
        let me = ParticipantId::random();
        let mut doc = voice(me);
        edit(&mut doc, |tx| {
            set_energy(tx, LevelId::Collective, 3).unwrap();
            set_energy(tx, LevelId::Individual, 1).unwrap();
        });
        assert_eq!(validate(&doc, me, 3).unwrap_err().path, "/energy");
        validate(&doc, me, 4).unwrap();
    }

    #[test]
    fn a_question_must_name_a_duo_and_the_owner_is_fixed() {
        let me = ParticipantId::random();
        let mut doc = voice(me);
        edit(&mut doc, |tx| {
            add_card(
                tx,
                &VoiceCard {
                    id: "q".into(),
                    kind: CardKind::Question,
                    text: "?".into(),
                    duo: None,
                },
            )
            .unwrap()
        });
        assert_eq!(validate(&doc, me, 3).unwrap_err().path, "/cards/q/duo");
        assert_eq!(
            validate(&voice(me), ParticipantId::random(), 3)
                .unwrap_err()
                .path,
            "/owner"
        );
    }
}
