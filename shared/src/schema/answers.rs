//! A participant's private answers in the forms with consent rounds: in 001 where the
//! collaboration stands (step 1's phase); in 002 their horizon sentence before they share it and
//! their route ratings; in both their answer to each consent round.
//!
//! ```text
//! { owner: <participant id>,
//!   phase?: "acknowledge"|"transparent"|"widen",                          // 001
//!   stem?: "work_on"|"steer_on", horizon?: Text,                          // 002, step 1
//!   route?: { contribution?: 1..5, quality?: 1..5, discipline?: 1..5 },   // 002, step 3
//!   consent: { <proposal id>: { round: int, answer: "agree"|"workable"|"object",
//!                               reason?: Text } } }       // an objection needs a reason
//! ```
//! Only its owner reads and writes it, so nobody can answer for someone else; the group sees the
//! server's k-anonymous phase distribution and route profile and each round's tally (counts and
//! reasons, never who gave which), all in the workshop document; a horizon sentence reaches the
//! group only when its author shares it as a card. Purged when the workshop closes.

use std::collections::BTreeMap;

use automerge::transaction::Transactable;
use automerge::{ObjType, ReadDoc, ScalarValue};
use serde::{Deserialize, Serialize};

use super::{MapReader, SchemaError, ensure_map};
use crate::forms::agreements::{Answer, Given, Phase};
use crate::forms::blocks::SCALE;
use crate::forms::horizon::{Level, Stem};
use crate::ids::ParticipantId;

pub const MAX_REASON: usize = 300;
/// As many answers as the workshop document can hold proposals.
pub const MAX_ANSWERS: usize = super::proposals::MAX_PROPOSALS;
pub const MAX_ROUND: f64 = 1000.0;
/// A horizon sentence's own part (after its stem).
pub const MAX_HORIZON: usize = 300;

/// What the owner's page and the server read.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AnswersView {
    pub phase: Option<Phase>,
    pub stem: Option<Stem>,
    /// The horizon sentence after its stem, as its author writes it.
    pub horizon: String,
    /// The route's ratings given (1–5).
    pub route: BTreeMap<Level, u32>,
    /// The latest answer per proposal.
    pub consent: BTreeMap<String, Given>,
}

pub fn view(doc: &impl ReadDoc) -> AnswersView {
    let root = MapReader::root(doc);
    let phase = root
        .string("phase", 64)
        .ok()
        .flatten()
        .and_then(|s| Phase::parse(&s));
    let stem = root
        .string("stem", 64)
        .ok()
        .flatten()
        .and_then(|s| Stem::parse(&s));
    let horizon = root
        .string("horizon", usize::MAX)
        .ok()
        .flatten()
        .unwrap_or_default();
    let mut route = BTreeMap::new();
    if let Some(m) = root.map("route").ok().flatten() {
        for level in Level::ALL {
            if let Some(n) = m.number(level.as_str()).ok().flatten()
                && SCALE.contains(&(n as u32))
            {
                route.insert(level, n as u32);
            }
        }
    }
    let mut consent = BTreeMap::new();
    if let Some(m) = root.map("consent").ok().flatten()
        && let Ok(entries) = m.map_entries()
    {
        for (id, e) in entries {
            let Some(answer) = e
                .string("answer", 64)
                .ok()
                .flatten()
                .and_then(|s| Answer::parse(&s))
            else {
                continue;
            };
            let round = e.number("round").ok().flatten().unwrap_or(0.0) as u32;
            let reason = e
                .string("reason", usize::MAX)
                .ok()
                .flatten()
                .unwrap_or_default();
            consent.insert(
                id,
                Given {
                    round,
                    answer,
                    reason,
                },
            );
        }
    }
    AnswersView {
        phase,
        stem,
        horizon,
        route,
        consent,
    }
}

pub fn validate(doc: &impl ReadDoc, owner: ParticipantId) -> Result<(), SchemaError> {
    let root = MapReader::root(doc);
    root.only_keys(&["owner", "phase", "stem", "horizon", "route", "consent"])?;
    if root.required_string("owner", 64)? != owner.to_string() {
        return Err(SchemaError::new("/owner", "cannot be changed"));
    }
    root.one_of("phase", &Phase::NAMES)?;
    root.one_of("stem", &Stem::NAMES)?;
    root.string("horizon", MAX_HORIZON)?;
    if let Some(r) = root.map("route")? {
        r.only_keys(&Level::NAMES)?;
        for level in Level::NAMES {
            if let Some(n) = r.number_in(level, 1.0, 5.0)?
                && n.fract() != 0.0
            {
                return Err(SchemaError::new(
                    format!("/route/{level}"),
                    "must be a whole number",
                ));
            }
        }
    }
    if let Some(consent) = root.map("consent")? {
        consent.at_most(MAX_ANSWERS)?;
        for (key, e) in consent.map_entries()? {
            super::proposals::check_id(&key, "/consent")?;
            e.only_keys(&["round", "answer", "reason"])?;
            let round = e
                .number_in("round", 1.0, MAX_ROUND)?
                .ok_or_else(|| SchemaError::new(format!("/consent/{key}/round"), "is missing"))?;
            if round.fract() != 0.0 {
                return Err(SchemaError::new(
                    format!("/consent/{key}/round"),
                    "must be a whole number",
                ));
            }
            let answer = e
                .one_of("answer", &Answer::NAMES)?
                .ok_or_else(|| SchemaError::new(format!("/consent/{key}/answer"), "is missing"))?;
            let reason = e.string("reason", MAX_REASON)?.unwrap_or_default();
            if answer == Answer::Object.as_str() && reason.trim().is_empty() {
                return Err(SchemaError::new(
                    format!("/consent/{key}/reason"),
                    "an objection needs a reason",
                ));
            }
        }
    }
    Ok(())
}

/// Writes the initial document of a participant's answers.
pub fn init(
    tx: &mut impl Transactable,
    owner: ParticipantId,
) -> Result<(), automerge::AutomergeError> {
    tx.put(automerge::ROOT, "owner", owner.to_string())?;
    tx.put_object(automerge::ROOT, "consent", ObjType::Map)?;
    Ok(())
}

/// Says where the collaboration stands (or takes it back with `None`).
pub fn set_phase(
    tx: &mut impl Transactable,
    phase: Option<Phase>,
) -> Result<(), automerge::AutomergeError> {
    match phase {
        Some(p) => tx.put(automerge::ROOT, "phase", p.as_str()),
        None => match tx.get(automerge::ROOT, "phase")? {
            Some(_) => tx.delete(automerge::ROOT, "phase"),
            None => Ok(()),
        },
    }
}

/// Writes the horizon sentence: its stem and the rest, as its author types it.
pub fn set_horizon(
    tx: &mut impl Transactable,
    stem: Stem,
    text: &str,
) -> Result<(), automerge::AutomergeError> {
    tx.put(automerge::ROOT, "stem", stem.as_str())?;
    let t = match tx.get(automerge::ROOT, "horizon")? {
        Some((automerge::Value::Object(ObjType::Text), t)) => t,
        _ => tx.put_object(automerge::ROOT, "horizon", ObjType::Text)?,
    };
    tx.update_text(&t, text)
}

/// Rates one level of the route (or takes the rating back with `None`).
pub fn rate_route(
    tx: &mut impl Transactable,
    level: Level,
    score: Option<u32>,
) -> Result<(), automerge::AutomergeError> {
    let r = ensure_map(tx, &automerge::ROOT, "route")?;
    match score {
        Some(n) => tx.put(&r, level.as_str(), ScalarValue::Int(i64::from(n))),
        None => match tx.get(&r, level.as_str())? {
            Some(_) => tx.delete(&r, level.as_str()),
            None => Ok(()),
        },
    }
}

/// Answers round `round` of a proposal (replacing an earlier answer).
pub fn answer(
    tx: &mut impl Transactable,
    proposal: &str,
    round: u32,
    answer: Answer,
    reason: &str,
) -> Result<(), automerge::AutomergeError> {
    let consent = ensure_map(tx, &automerge::ROOT, "consent")?;
    let e = tx.put_object(&consent, proposal, ObjType::Map)?;
    tx.put(&e, "round", ScalarValue::Int(i64::from(round)))?;
    tx.put(&e, "answer", answer.as_str())?;
    if !reason.trim().is_empty() {
        let t = tx.put_object(&e, "reason", ObjType::Text)?;
        tx.update_text(&t, reason.trim())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::{Automerge, AutomergeError};

    fn answered(
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
    fn a_phase_and_answers_are_written_and_read() {
        let me = ParticipantId::random();
        let doc = answered(me, |tx| {
            set_phase(tx, Some(Phase::Transparent)).unwrap();
            answer(tx, "rule-5", 1, Answer::Object, "Te vaag").unwrap();
            answer(tx, "rule-5", 2, Answer::Workable, "").unwrap();
            answer(tx, "p-1", 1, Answer::Agree, "").unwrap();
        });
        validate(&doc, me).unwrap();
        let v = view(&doc);
        assert_eq!(v.phase, Some(Phase::Transparent));
        assert_eq!(v.consent["rule-5"].round, 2);
        assert_eq!(v.consent["rule-5"].answer, Answer::Workable);
        assert_eq!(v.consent["p-1"].answer, Answer::Agree);
    }

    #[test]
    fn a_horizon_sentence_and_route_ratings_are_written_and_read() {
        let me = ParticipantId::random();
        let doc = answered(me, |tx| {
            set_horizon(tx, Stem::SteerOn, "minder wachtlijsten").unwrap();
            rate_route(tx, Level::Quality, Some(4)).unwrap();
            rate_route(tx, Level::Discipline, Some(2)).unwrap();
            rate_route(tx, Level::Discipline, None).unwrap();
        });
        validate(&doc, me).unwrap();
        let v = view(&doc);
        assert_eq!(v.stem, Some(Stem::SteerOn));
        assert_eq!(v.horizon, "minder wachtlijsten");
        assert_eq!(v.route, BTreeMap::from([(Level::Quality, 4)]));
    }

    /// Each case breaks the schema in one way; the error names the path.
    #[test]
    fn schema_violations_are_named() {
        let me = ParticipantId::random();
        let check = |f: &dyn Fn(&mut automerge::transaction::Transaction<'_>), path: &str| {
            let doc = answered(me, |tx| f(tx));
            let e = validate(&doc, me).unwrap_err();
            assert!(e.path.starts_with(path), "{e} is not about {path}");
        };
        check(
            &|tx| {
                tx.put(
                    automerge::ROOT,
                    "owner",
                    ParticipantId::random().to_string(),
                )
                .unwrap();
            },
            "/owner",
        );
        check(
            &|tx| {
                tx.put(automerge::ROOT, "phase", "phase4").unwrap();
            },
            "/phase",
        );
        check(
            &|tx| {
                answer(tx, "p-1", 1, Answer::Object, "  ").unwrap();
            },
            "/consent/p-1/reason",
        );
        check(
            &|tx| {
                answer(tx, "p-1", 0, Answer::Agree, "").unwrap();
            },
            "/consent/p-1/round",
        );
        check(
            &|tx| {
                answer(tx, "P 1!", 1, Answer::Agree, "").unwrap();
            },
            "/consent",
        );
        check(
            &|tx| {
                answer(tx, "p-1", 1, Answer::Agree, &"x".repeat(MAX_REASON + 1)).unwrap();
            },
            "/consent/p-1/reason",
        );
        check(
            &|tx| {
                tx.put(automerge::ROOT, "stem", "dream_of").unwrap();
            },
            "/stem",
        );
        check(
            &|tx| {
                set_horizon(tx, Stem::WorkOn, &"x".repeat(MAX_HORIZON + 1)).unwrap();
            },
            "/horizon",
        );
        check(
            &|tx| {
                rate_route(tx, Level::Quality, Some(6)).unwrap();
            },
            "/route/quality",
        );
        check(
            &|tx| {
                let r = tx
                    .put_object(automerge::ROOT, "route", ObjType::Map)
                    .unwrap();
                tx.put(&r, "speed", 3).unwrap();
            },
            "/route",
        );
        check(
            &|tx| {
                tx.put(automerge::ROOT, "extra", 1).unwrap();
            },
            "",
        );
    }
}
