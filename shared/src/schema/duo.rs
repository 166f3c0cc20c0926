//! A duo's room (step 2): its speaking-turn clock, key-insight cards, the insight it will share
//! in the plenary, and the link of its call for remote duos.
//!
//! ```text
//! { duo: <duo id>,
//!   clock: { started_at?: int, paused_at?: int, paused_ms: int },   // server ms
//!   insights: { <id>: { text: Text,
//!                       level: "individual"|"collegial"|"collective"   // 000: exactly one of
//!                     | block: "knowing"|"understanding"|…          // 004: level or block
//!                     } },
//!   share?: <insight id>,
//!   call_link?: "https://…" }
//! ```
//! The duo's members (and facilitators) write it; everyone reads it from step 3 on.
//!
//! A card is tied to one *zone* of its work form: a level in 000, a building block in 004. The
//! two are separate keys (not one `zone` key) so a 000 room is stored exactly as before zones
//! existed; [`Zone`] is the one place that knows which key a zone lives under.

use automerge::transaction::Transactable;
use automerge::{ObjId, ObjType, ReadDoc, ScalarValue};
use serde::{Deserialize, Serialize};

use super::{MapReader, SchemaError};
use crate::forms::blocks::BlockId;
use crate::ids::DuoId;
use crate::method::LevelId;

pub const MAX_INSIGHTS: usize = 40;
pub const MAX_INSIGHT_TEXT: usize = 500;
pub const MAX_LINK: usize = 500;

/// What a card is tied to: a level of responsibility (000) or a building block (004). In JSON
/// (and in the document) it is one key beside the card's text: `"level": "collective"` or
/// `"block": "trusting"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Zone {
    Level(LevelId),
    Block(BlockId),
}

impl Zone {
    /// The document key the zone is stored under.
    pub fn key(self) -> &'static str {
        match self {
            Zone::Level(_) => "level",
            Zone::Block(_) => "block",
        }
    }

    /// The stored value.
    pub fn as_str(self) -> &'static str {
        match self {
            Zone::Level(l) => l.as_str(),
            Zone::Block(b) => b.as_str(),
        }
    }

    pub fn level(self) -> Option<LevelId> {
        match self {
            Zone::Level(l) => Some(l),
            Zone::Block(_) => None,
        }
    }

    pub fn block(self) -> Option<BlockId> {
        match self {
            Zone::Block(b) => Some(b),
            Zone::Level(_) => None,
        }
    }
}

impl From<LevelId> for Zone {
    fn from(l: LevelId) -> Zone {
        Zone::Level(l)
    }
}

impl From<BlockId> for Zone {
    fn from(b: BlockId) -> Zone {
        Zone::Block(b)
    }
}

/// The keys a zone may be stored under; a card carries exactly one of them.
const ZONE_KEYS: [&str; 2] = ["level", "block"];

/// One key-insight card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Insight {
    pub id: String,
    pub text: String,
    #[serde(flatten)]
    pub zone: Zone,
}

/// The duo's own speaking-turn clock: running time since it was started, minus pauses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TurnClock {
    pub started_at: Option<i64>,
    pub paused_at: Option<i64>,
    pub paused_ms: i64,
}

/// Where a duo stands in its turns at some moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Turn {
    NotStarted,
    /// Person `index` (0-based, in member order) speaks; `remaining_ms` left.
    Speaking {
        index: usize,
        remaining_ms: i64,
    },
    /// The joint reflection.
    Joint {
        remaining_ms: i64,
    },
    Done,
}

impl TurnClock {
    pub fn is_running(&self) -> bool {
        self.started_at.is_some() && self.paused_at.is_none()
    }

    /// Milliseconds of talking time used at server time `now`.
    pub fn elapsed_at(&self, now: i64) -> i64 {
        let Some(start) = self.started_at else {
            return 0;
        };
        let until = self.paused_at.unwrap_or(now);
        (until - start - self.paused_ms).max(0)
    }

    /// The turn at `now`, for `members` people with `turn_min` each, then `joint_min` together.
    pub fn turn_at(&self, now: i64, members: usize, turn_min: u32, joint_min: u32) -> Turn {
        if self.started_at.is_none() {
            return Turn::NotStarted;
        }
        let mut left = self.elapsed_at(now);
        let turn = i64::from(turn_min) * 60_000;
        for index in 0..members.max(1) {
            if left < turn {
                return Turn::Speaking {
                    index,
                    remaining_ms: turn - left,
                };
            }
            left -= turn;
        }
        let joint = i64::from(joint_min) * 60_000;
        if left < joint {
            Turn::Joint {
                remaining_ms: joint - left,
            }
        } else {
            Turn::Done
        }
    }

    pub fn start(now: i64) -> TurnClock {
        TurnClock {
            started_at: Some(now),
            paused_at: None,
            paused_ms: 0,
        }
    }

    pub fn pause(self, now: i64) -> TurnClock {
        match (self.started_at, self.paused_at) {
            (Some(_), None) => TurnClock {
                paused_at: Some(now),
                ..self
            },
            _ => self,
        }
    }

    pub fn resume(self, now: i64) -> TurnClock {
        match self.paused_at {
            Some(p) => TurnClock {
                paused_at: None,
                paused_ms: self.paused_ms + (now - p).max(0),
                ..self
            },
            None => self,
        }
    }

    /// Jumps to the next turn (a speaker who is done early).
    pub fn skip(self, now: i64, members: usize, turn_min: u32, joint_min: u32) -> TurnClock {
        let remaining = match self.turn_at(now, members, turn_min, joint_min) {
            Turn::Speaking { remaining_ms, .. } | Turn::Joint { remaining_ms } => remaining_ms,
            Turn::NotStarted | Turn::Done => return self,
        };
        // Pretend the remaining time of this turn has passed: start earlier by that much.
        TurnClock {
            started_at: self.started_at.map(|s| s - remaining),
            ..self
        }
    }
}

/// What views read from a duo document.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DuoView {
    pub clock: TurnClock,
    /// Sorted by id (stable across replicas).
    pub insights: Vec<Insight>,
    pub share: Option<String>,
    pub call_link: Option<String>,
}

pub fn view(doc: &impl ReadDoc) -> DuoView {
    let root = MapReader::root(doc);
    let clock = root.map("clock").ok().flatten().map(|c| {
        let n = |k: &str| c.number(k).ok().flatten().map(|v| v as i64);
        TurnClock {
            started_at: n("started_at"),
            paused_at: n("paused_at"),
            paused_ms: n("paused_ms").unwrap_or(0),
        }
    });
    let mut insights: Vec<Insight> = root
        .map("insights")
        .ok()
        .flatten()
        .map(|m| {
            m.keys()
                .into_iter()
                .filter_map(|id| {
                    let i = m.map(&id).ok()??;
                    let level = i.string("level", 32).ok().flatten();
                    let block = i.string("block", 32).ok().flatten();
                    // A card that names no known zone is not shown (validation refuses it).
                    let zone = match (level, block) {
                        (Some(l), None) => Zone::Level(LevelId::parse(&l)?),
                        (None, Some(b)) => Zone::Block(BlockId::parse(&b)?),
                        _ => return None,
                    };
                    Some(Insight {
                        text: i
                            .string("text", usize::MAX)
                            .ok()
                            .flatten()
                            .unwrap_or_default(),
                        zone,
                        id,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    insights.sort_by(|a, b| a.id.cmp(&b.id));
    DuoView {
        clock: clock.unwrap_or_default(),
        insights,
        share: root.string("share", 64).ok().flatten(),
        call_link: root
            .string("call_link", MAX_LINK)
            .ok()
            .flatten()
            .filter(|l| !l.is_empty()),
    }
}

pub fn validate(doc: &impl ReadDoc, duo: DuoId) -> Result<(), SchemaError> {
    validate_in(doc, duo, None)
}

/// [`validate`], or after a change only the cards it touched (see [`super::validate_changed`]).
pub(crate) fn validate_in(
    doc: &impl ReadDoc,
    duo: DuoId,
    changed: Option<&super::Changed>,
) -> Result<(), SchemaError> {
    let root = MapReader::root_in(doc, changed);
    root.only_keys(&["duo", "clock", "insights", "share", "call_link"])?;
    if root.required_string("duo", 64)? != duo.to_string() {
        return Err(SchemaError::new("/duo", "cannot be changed"));
    }
    if let Some(c) = root.map("clock")? {
        c.only_keys(&["started_at", "paused_at", "paused_ms"])?;
        c.number("started_at")?;
        c.number("paused_at")?;
        c.number_in("paused_ms", 0.0, 86_400_000.0)?;
    }
    if let Some(m) = root.map("insights")? {
        m.at_most(MAX_INSIGHTS)?;
        let levels: Vec<&str> = LevelId::ALL.iter().map(|l| l.as_str()).collect();
        let blocks: Vec<&str> = BlockId::ALL.iter().map(|b| b.as_str()).collect();
        for (id, i) in m.changed_entries()? {
            if id.chars().count() > 64 {
                return Err(SchemaError::new(
                    "/insights",
                    "insight ids are at most 64 characters",
                ));
            }
            i.only_keys(&["text", "level", "block"])?;
            i.string("text", MAX_INSIGHT_TEXT)?;
            let level = i.one_of("level", &levels)?;
            let block = i.one_of("block", &blocks)?;
            match (level, block) {
                (Some(_), None) | (None, Some(_)) => {}
                (Some(_), Some(_)) => {
                    return Err(SchemaError::new(
                        &i.path,
                        "a card is tied to one zone: a level or a block, not both",
                    ));
                }
                (None, None) => {
                    return Err(SchemaError::new(
                        &i.path,
                        "a card needs its zone: a level or a block",
                    ));
                }
            }
        }
    }
    root.string("share", 64)?;
    if let Some(link) = root.string("call_link", MAX_LINK)?
        && !link.is_empty()
        && !(link.starts_with("https://") || link.starts_with("http://"))
    {
        return Err(SchemaError::new("/call_link", "must be an http(s) link"));
    }
    Ok(())
}

/// Writes the initial document of a duo's room.
pub fn init(tx: &mut impl Transactable, duo: DuoId) -> Result<(), automerge::AutomergeError> {
    tx.put(automerge::ROOT, "duo", duo.to_string())?;
    tx.put_object(automerge::ROOT, "insights", ObjType::Map)?;
    Ok(())
}

fn insights(tx: &mut impl Transactable) -> Result<ObjId, automerge::AutomergeError> {
    match tx.get(automerge::ROOT, "insights")? {
        Some((automerge::Value::Object(ObjType::Map), id)) => Ok(id),
        _ => tx.put_object(automerge::ROOT, "insights", ObjType::Map),
    }
}

/// Adds a card (text as a Text object: both members can type in it at once).
pub fn put_insight(
    tx: &mut impl Transactable,
    i: &Insight,
) -> Result<(), automerge::AutomergeError> {
    let m = insights(tx)?;
    let card = tx.put_object(&m, i.id.as_str(), ObjType::Map)?;
    let t = tx.put_object(&card, "text", ObjType::Text)?;
    tx.splice_text(&t, 0, 0, &i.text)?;
    tx.put(&card, i.zone.key(), i.zone.as_str())?;
    Ok(())
}

fn card(tx: &mut impl Transactable, id: &str) -> Result<Option<ObjId>, automerge::AutomergeError> {
    let m = insights(tx)?;
    Ok(match tx.get(&m, id)? {
        Some((automerge::Value::Object(ObjType::Map), c)) => Some(c),
        _ => None,
    })
}

/// Replaces a card's text as a minimal edit, so concurrent typing merges.
pub fn set_insight_text(
    tx: &mut impl Transactable,
    id: &str,
    text: &str,
) -> Result<(), automerge::AutomergeError> {
    let Some(c) = card(tx, id)? else {
        return Ok(());
    };
    let t = match tx.get(&c, "text")? {
        Some((automerge::Value::Object(ObjType::Text), t)) => t,
        _ => tx.put_object(&c, "text", ObjType::Text)?,
    };
    tx.update_text(&t, text)
}

pub fn set_insight_level(
    tx: &mut impl Transactable,
    id: &str,
    level: LevelId,
) -> Result<(), automerge::AutomergeError> {
    set_insight_zone(tx, id, Zone::Level(level))
}

/// Ties a card to another zone; the other zone key is removed, so the card keeps exactly one.
pub fn set_insight_zone(
    tx: &mut impl Transactable,
    id: &str,
    zone: Zone,
) -> Result<(), automerge::AutomergeError> {
    let Some(c) = card(tx, id)? else {
        return Ok(());
    };
    for key in ZONE_KEYS {
        if key != zone.key() && tx.get(&c, key)?.is_some() {
            tx.delete(&c, key)?;
        }
    }
    tx.put(&c, zone.key(), zone.as_str())
}

pub fn delete_insight(
    tx: &mut impl Transactable,
    id: &str,
) -> Result<(), automerge::AutomergeError> {
    let m = insights(tx)?;
    tx.delete(&m, id)
}

/// Marks the insight the duo will share in the plenary.
pub fn set_share(
    tx: &mut impl Transactable,
    id: Option<&str>,
) -> Result<(), automerge::AutomergeError> {
    match id {
        Some(id) => tx.put(automerge::ROOT, "share", id),
        None => tx.delete(automerge::ROOT, "share"),
    }
}

pub fn set_call_link(
    tx: &mut impl Transactable,
    link: &str,
) -> Result<(), automerge::AutomergeError> {
    tx.put(automerge::ROOT, "call_link", link)
}

pub fn set_clock(
    tx: &mut impl Transactable,
    c: &TurnClock,
) -> Result<(), automerge::AutomergeError> {
    let m = tx.put_object(automerge::ROOT, "clock", ObjType::Map)?;
    if let Some(s) = c.started_at {
        tx.put(&m, "started_at", ScalarValue::Int(s))?;
    }
    if let Some(p) = c.paused_at {
        tx.put(&m, "paused_at", ScalarValue::Int(p))?;
    }
    tx.put(&m, "paused_ms", ScalarValue::Int(c.paused_ms))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::Automerge;

    #[test]
    fn the_turns_run_a_b_then_joint_and_a_trio_gets_three_turns() {
        let c = TurnClock::start(0);
        let min = 60_000;
        assert_eq!(
            c.turn_at(0, 2, 5, 10),
            Turn::Speaking {
                index: 0,
                remaining_ms: 5 * min
            }
        );
        assert_eq!(
            c.turn_at(6 * min, 2, 5, 10),
            Turn::Speaking {
                index: 1,
                remaining_ms: 4 * min
            }
        );
        assert_eq!(
            c.turn_at(11 * min, 2, 5, 10),
            Turn::Joint {
                remaining_ms: 9 * min
            }
        );
        assert_eq!(c.turn_at(21 * min, 2, 5, 10), Turn::Done);
        assert_eq!(
            c.turn_at(11 * min, 3, 5, 10),
            Turn::Speaking {
                index: 2,
                remaining_ms: 4 * min
            }
        );
        assert_eq!(TurnClock::default().turn_at(5, 2, 5, 10), Turn::NotStarted);
    }

    #[test]
    fn pausing_stops_the_clock_and_skipping_moves_to_the_next_turn() {
        let min = 60_000;
        let c = TurnClock::start(0).pause(2 * min);
        assert_eq!(
            c.turn_at(9 * min, 2, 5, 10),
            Turn::Speaking {
                index: 0,
                remaining_ms: 3 * min
            }
        );
        let c = c.resume(9 * min);
        assert_eq!(
            c.turn_at(10 * min, 2, 5, 10),
            Turn::Speaking {
                index: 0,
                remaining_ms: 2 * min
            }
        );
        let c = c.skip(10 * min, 2, 5, 10);
        assert_eq!(
            c.turn_at(10 * min, 2, 5, 10),
            Turn::Speaking {
                index: 1,
                remaining_ms: 5 * min
            }
        );
    }

    #[test]
    fn two_members_typing_in_one_card_keep_both_texts() {
        let duo = DuoId::random();
        let mut a = Automerge::new();
        a.transact::<_, _, automerge::AutomergeError>(|tx| {
            init(tx, duo)?;
            put_insight(
                tx,
                &Insight {
                    id: "k1".into(),
                    text: "samen".into(),
                    zone: Zone::Level(LevelId::Collective),
                },
            )
        })
        .unwrap();
        let mut b = a.fork();
        a.transact::<_, _, automerge::AutomergeError>(|tx| {
            set_insight_text(tx, "k1", "samen zorgen")
        })
        .unwrap();
        b.transact::<_, _, automerge::AutomergeError>(|tx| {
            set_insight_text(tx, "k1", "echt samen")
        })
        .unwrap();
        a.merge(&mut b).unwrap();
        validate(&a, duo).unwrap();
        let text = &view(&a).insights[0].text;
        assert!(text.contains("zorgen") && text.contains("echt"), "{text}");
    }

    #[test]
    fn a_bad_call_link_or_level_is_refused() {
        let duo = DuoId::random();
        let mut doc = Automerge::new();
        doc.transact::<_, _, automerge::AutomergeError>(|tx| {
            init(tx, duo)?;
            set_call_link(tx, "javascript:alert(1)")
        })
        .unwrap();
        assert_eq!(validate(&doc, duo).unwrap_err().path, "/call_link");
        let mut doc = Automerge::new();
        doc.transact::<_, _, automerge::AutomergeError>(|tx| {
            init(tx, duo)?;
            put_insight(
                tx,
                &Insight {
                    id: "k".into(),
                    text: "x".into(),
                    zone: Zone::Level(LevelId::Collegial),
                },
            )?;
            let m = tx.get(automerge::ROOT, "insights")?.expect("insights").1;
            let k = tx.get(&m, "k")?.expect("card").1;
            tx.put(&k, "level", "cosmic")
        })
        .unwrap();
        assert_eq!(validate(&doc, duo).unwrap_err().path, "/insights/k/level");
    }

    /// A room with one card `k` whose zone fields are written raw (as any client could).
    fn card_with(fields: &[(&str, &str)]) -> (Automerge, DuoId) {
        let duo = DuoId::random();
        let mut doc = Automerge::new();
        doc.transact::<_, _, automerge::AutomergeError>(|tx| {
            init(tx, duo)?;
            let m = tx.get(automerge::ROOT, "insights")?.expect("insights").1;
            let k = tx.put_object(&m, "k", ObjType::Map)?;
            let t = tx.put_object(&k, "text", ObjType::Text)?;
            tx.splice_text(&t, 0, 0, "samen")?;
            for (key, value) in fields {
                tx.put(&k, *key, *value)?;
            }
            Ok(())
        })
        .unwrap();
        (doc, duo)
    }

    /// A table test: which zones a card may carry, and where a refusal points.
    #[test]
    fn a_card_carries_exactly_one_known_zone() {
        let check = |fields: &[(&str, &str)], expected: Result<Zone, &str>| {
            let (doc, duo) = card_with(fields);
            match (validate(&doc, duo), expected) {
                (Ok(()), Ok(zone)) => assert_eq!(view(&doc).insights[0].zone, zone, "{fields:?}"),
                (Err(e), Err(path)) => {
                    assert_eq!(e.path, path, "{fields:?}: {e}");
                    assert!(view(&doc).insights.is_empty(), "{fields:?} shown");
                }
                (got, want) => panic!("{fields:?}: got {got:?}, want {want:?}"),
            }
        };
        // A 000 card, written as every room wrote it before zones existed.
        check(
            &[("level", "collective")],
            Ok(Zone::Level(LevelId::Collective)),
        );
        check(&[("block", "trusting")], Ok(Zone::Block(BlockId::Trusting)));
        check(
            &[("level", "individual"), ("block", "knowing")],
            Err("/insights/k"),
        );
        check(&[], Err("/insights/k"));
        check(&[("block", "cosmic")], Err("/insights/k/block"));
        check(&[("block", "individual")], Err("/insights/k/block"));
        check(&[("level", "trusting")], Err("/insights/k/level"));
        check(&[("zone", "trusting")], Err("/insights/k/zone"));
    }

    #[test]
    fn a_card_moved_to_another_zone_keeps_one_zone_and_reads_back() {
        let duo = DuoId::random();
        let mut doc = Automerge::new();
        doc.transact::<_, _, automerge::AutomergeError>(|tx| {
            init(tx, duo)?;
            put_insight(
                tx,
                &Insight {
                    id: "k".into(),
                    text: "elkaar vertrouwen".into(),
                    zone: Zone::Block(BlockId::Knowing),
                },
            )?;
            set_insight_zone(tx, "k", Zone::Block(BlockId::Trusting))
        })
        .unwrap();
        validate(&doc, duo).unwrap();
        assert_eq!(view(&doc).insights[0].zone, Zone::Block(BlockId::Trusting));
        // Even across kinds, the old key goes, so the card never carries both.
        doc.transact::<_, _, automerge::AutomergeError>(|tx| {
            set_insight_level(tx, "k", LevelId::Collegial)
        })
        .unwrap();
        validate(&doc, duo).unwrap();
        assert_eq!(view(&doc).insights[0].zone, Zone::Level(LevelId::Collegial));
    }

    /// The JSON shape of a card is unchanged for 000: the zone is one key beside the text.
    #[test]
    fn a_cards_zone_is_one_key_in_json() {
        let level = Insight {
            id: "k".into(),
            text: "x".into(),
            zone: Zone::Level(LevelId::Collective),
        };
        let json = serde_json::to_value(&level).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"id": "k", "text": "x", "level": "collective"})
        );
        assert_eq!(serde_json::from_value::<Insight>(json).unwrap(), level);
        let block = serde_json::json!({"id": "k", "text": "x", "block": "realising_goals"});
        assert_eq!(
            serde_json::from_value::<Insight>(block).unwrap().zone,
            Zone::Block(BlockId::RealisingGoals)
        );
    }
}
