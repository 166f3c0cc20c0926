//! The consent forms' part of the workshop document (001, 002): the proposals (001 pre-fills the
//! seed's seven rules of play; the group writes more per canvas field), the consent round that
//! runs now, each round's tally, 001's phase distribution and 002's route profile.
//!
//! ```text
//! phases_shown?: bool,                          // the facilitator shows step 1's distribution
//! phases?: { answered, acknowledge, transparent, widen },          // server writes, ≥ k answers
//! route_shown?: bool,                           // 002: the facilitator shows the route
//! route?: { answered, levels: { <level>: { "1".."5": int } } },    // server writes, ≥ k
//! proposals?: { <id>: { field: <field id>, text: Text, order: number,
//!                       rule?: 1..7,                 // one of the seed's rules of play
//!                       round: int,                  // 0: never asked; raised by each new round
//!                       status: "open"|"adopted"|"dropped",
//!                       earlier?: [str],             // the texts before each amendment
//!                       why?: Text, review?: "YYYY-MM-DD",       // a TWO's reasons and review
//!                       due?: bool } },              // an earlier session's TWO, up for review
//! asking?: <proposal id>,                       // the consent round that runs now
//! tallies?: { <proposal id>: { round, agree, workable, object,
//!                              objections: [str], concerns: [str] } }   // server writes
//! ```
//! Facilitators write proposals and `asking`; the server writes `phases`, `route` and `tallies`
//! from the participants' private answer documents (and puts right, in the same turn, a tally anyone
//! else wrote).

use std::collections::BTreeMap;

use automerge::transaction::Transactable;
use automerge::{ObjType, ReadDoc, ScalarValue};
use serde::{Deserialize, Serialize};

use super::{MapReader, SchemaError, ensure_map};
use crate::forms::agreements::{FieldId, Phase, Phases, RULES, Status, Tally};
use crate::forms::horizon::{Level, RouteProfile};

pub const MAX_PROPOSALS: usize = 100;
pub const MAX_PROPOSAL_TEXT: usize = 500;
pub const MAX_WHY: usize = 500;
pub const MAX_EARLIER: usize = 20;
pub const MAX_ID: usize = 40;
const MAX_ROSTER: f64 = super::workshop::MAX_ROSTER as f64;
const MAX_REASONS: usize = super::workshop::MAX_ROSTER;

/// A proposal, and once adopted, a TWO.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proposal {
    pub id: String,
    pub field: FieldId,
    pub text: String,
    /// The seed's rule of play it started as (1–7).
    pub rule: Option<u32>,
    /// The round asked last (0: never asked).
    pub round: u32,
    pub status: Status,
    /// The texts it had before each amendment, oldest first.
    pub earlier: Vec<String>,
    /// Why the group adopted it (a TWO's reasons).
    pub why: String,
    /// When to review it, `YYYY-MM-DD`.
    pub review: Option<String>,
    /// A TWO of an earlier session whose review date has come: on this session's agenda.
    #[serde(default)]
    pub due: bool,
}

impl Proposal {
    /// 1 for the first text, one more per amendment.
    pub fn version(&self) -> u32 {
        self.earlier.len() as u32 + 1
    }
}

/// 001's part of the workshop view.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ConsensusView {
    pub phases_shown: bool,
    pub phases: Option<Phases>,
    pub route_shown: bool,
    /// 002's route profile, once shown and at least k rated.
    pub route: Option<RouteProfile>,
    /// In field order, then by `order`.
    pub proposals: Vec<Proposal>,
    pub asking: Option<String>,
    pub tallies: BTreeMap<String, Tally>,
}

impl ConsensusView {
    pub fn proposal(&self, id: &str) -> Option<&Proposal> {
        self.proposals.iter().find(|p| p.id == id)
    }

    /// The proposal whose consent round runs now.
    pub fn asked(&self) -> Option<&Proposal> {
        self.asking.as_deref().and_then(|id| self.proposal(id))
    }

    /// The tally of a proposal's latest round, if it was asked.
    pub fn tally(&self, id: &str) -> Option<&Tally> {
        let p = self.proposal(id)?;
        self.tallies.get(id).filter(|t| t.round == p.round)
    }

    /// The horizon this session agreed (002): its adopted proposal of the field "horizon", the
    /// last if there are several.
    pub fn horizon(&self) -> Option<&Proposal> {
        self.twos().filter(|p| p.field == FieldId::Horizon).last()
    }

    /// The adopted proposals: the TWOs.
    pub fn twos(&self) -> impl Iterator<Item = &Proposal> {
        self.proposals
            .iter()
            .filter(|p| p.status == Status::Adopted)
    }
}

/// Whether a key can be a proposal id: 1–40 of `a-z`, `0-9` and `-`.
pub(crate) fn check_id(key: &str, parent: &str) -> Result<(), SchemaError> {
    let ok = !key.is_empty()
        && key.len() <= MAX_ID
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(SchemaError::new(
            format!("{parent}/{key}"),
            "is not a proposal id (a-z, 0-9 and -, at most 40)",
        ))
    }
}

/// Whether `s` is a date `YYYY-MM-DD` (month 1–12, day 1–31).
pub fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| s.get(r).and_then(|x| x.parse::<u32>().ok());
    matches!(
        (num(0..4), num(5..7), num(8..10)),
        (Some(y), Some(m), Some(d)) if y >= 2000 && (1..=12).contains(&m) && (1..=31).contains(&d)
    )
}

pub(crate) fn validate<D: ReadDoc>(root: &MapReader<'_, D>) -> Result<(), SchemaError> {
    root.boolean("phases_shown")?;
    if let Some(p) = root.map("phases")? {
        let mut keys = vec!["answered"];
        keys.extend(Phase::NAMES);
        p.only_keys(&keys)?;
        for k in keys {
            p.number_in(k, 0.0, MAX_ROSTER)?;
        }
    }
    root.boolean("route_shown")?;
    if let Some(r) = root.map("route")? {
        r.only_keys(&["answered", "levels"])?;
        r.number_in("answered", 0.0, MAX_ROSTER)?;
        if let Some(l) = r.map("levels")? {
            l.only_keys(&Level::NAMES)?;
            for (_, c) in l.map_entries()? {
                c.only_keys(&SCORES)?;
                for k in SCORES {
                    c.number_in(k, 0.0, MAX_ROSTER)?;
                }
            }
        }
    }
    let mut ids = Vec::new();
    if let Some(props) = root.map("proposals")? {
        props.at_most(MAX_PROPOSALS)?;
        for (key, p) in props.map_entries()? {
            check_id(&key, "/proposals")?;
            let path = |k: &str| format!("/proposals/{key}/{k}");
            p.only_keys(&[
                "field", "text", "order", "rule", "round", "status", "earlier", "why", "review",
                "due",
            ])?;
            p.boolean("due")?;
            if p.one_of("field", &FieldId::NAMES)?.is_none() {
                return Err(SchemaError::new(path("field"), "is missing"));
            }
            p.required_string("text", MAX_PROPOSAL_TEXT)?;
            p.number("order")?;
            for (k, max) in [("rule", RULES.len() as f64), ("round", 1000.0)] {
                let min = if k == "rule" { 1.0 } else { 0.0 };
                if p.number_in(k, min, max)?.is_some_and(|n| n.fract() != 0.0) {
                    return Err(SchemaError::new(path(k), "must be a whole number"));
                }
            }
            p.one_of("status", &Status::NAMES)?;
            p.string_list("earlier", MAX_EARLIER, MAX_PROPOSAL_TEXT)?;
            p.string("why", MAX_WHY)?;
            if let Some(d) = p.string("review", 10)?
                && !is_date(&d)
            {
                return Err(SchemaError::new(path("review"), "is not a date YYYY-MM-DD"));
            }
            ids.push(key);
        }
    }
    if let Some(id) = root.string("asking", MAX_ID)?
        && !ids.contains(&id)
    {
        return Err(SchemaError::new("/asking", "names no proposal"));
    }
    if let Some(t) = root.map("tallies")? {
        t.at_most(MAX_PROPOSALS)?;
        for (key, e) in t.map_entries()? {
            check_id(&key, "/tallies")?;
            e.only_keys(&[
                "round",
                "agree",
                "workable",
                "object",
                "objections",
                "concerns",
            ])?;
            e.number_in("round", 0.0, 1000.0)?;
            for k in ["agree", "workable", "object"] {
                e.number_in(k, 0.0, MAX_ROSTER)?;
            }
            e.string_list("objections", MAX_REASONS, super::answers::MAX_REASON)?;
            e.string_list("concerns", MAX_REASONS, super::answers::MAX_REASON)?;
        }
    }
    Ok(())
}

/// The keys of one level's counts in `route`.
const SCORES: [&str; 5] = ["1", "2", "3", "4", "5"];

fn count<D: ReadDoc>(m: &MapReader<'_, D>, k: &str) -> u32 {
    m.number(k).ok().flatten().unwrap_or(0.0).max(0.0) as u32
}

pub(crate) fn read<D: ReadDoc>(root: &MapReader<'_, D>) -> ConsensusView {
    let mut out = ConsensusView {
        phases_shown: root.boolean("phases_shown").ok().flatten().unwrap_or(false),
        route_shown: root.boolean("route_shown").ok().flatten().unwrap_or(false),
        asking: root.string("asking", MAX_ID).ok().flatten(),
        ..ConsensusView::default()
    };
    if let Some(p) = root.map("phases").ok().flatten() {
        out.phases = Some(Phases {
            answered: count(&p, "answered"),
            counts: Phase::ALL
                .iter()
                .map(|ph| (*ph, count(&p, ph.as_str())))
                .filter(|(_, n)| *n > 0)
                .collect(),
        });
    }
    if let Some(r) = root.map("route").ok().flatten() {
        let mut route = RouteProfile {
            answered: count(&r, "answered"),
            ..RouteProfile::default()
        };
        if let Some(l) = r.map("levels").ok().flatten() {
            for level in Level::ALL {
                if let Some(c) = l.map(level.as_str()).ok().flatten() {
                    route.levels.insert(level, SCORES.map(|k| count(&c, k)));
                }
            }
        }
        out.route = Some(route);
    }
    if let Some(props) = root.map("proposals").ok().flatten()
        && let Ok(entries) = props.map_entries()
    {
        let mut sorted = Vec::with_capacity(entries.len());
        for (id, p) in entries {
            let Some(field) = p
                .string("field", 64)
                .ok()
                .flatten()
                .and_then(|f| FieldId::parse(&f))
            else {
                continue;
            };
            let text = p
                .string("text", usize::MAX)
                .ok()
                .flatten()
                .unwrap_or_default();
            let order = p.number("order").ok().flatten().unwrap_or(0.0);
            sorted.push((
                order,
                Proposal {
                    id,
                    field,
                    text,
                    rule: p.number("rule").ok().flatten().map(|n| n as u32),
                    round: count(&p, "round"),
                    status: p
                        .string("status", 64)
                        .ok()
                        .flatten()
                        .and_then(|s| Status::parse(&s))
                        .unwrap_or(Status::Open),
                    earlier: p
                        .string_list("earlier", usize::MAX, usize::MAX)
                        .ok()
                        .flatten()
                        .unwrap_or_default(),
                    why: p
                        .string("why", usize::MAX)
                        .ok()
                        .flatten()
                        .unwrap_or_default(),
                    review: p.string("review", 10).ok().flatten(),
                    due: p.boolean("due").ok().flatten().unwrap_or(false),
                },
            ));
        }
        sorted.sort_by(|(oa, a), (ob, b)| {
            a.field
                .cmp(&b.field)
                .then_with(|| oa.total_cmp(ob))
                .then_with(|| a.id.cmp(&b.id))
        });
        out.proposals = sorted.into_iter().map(|(_, p)| p).collect();
    }
    if let Some(t) = root.map("tallies").ok().flatten()
        && let Ok(entries) = t.map_entries()
    {
        for (id, e) in entries {
            let list = |k: &str| {
                e.string_list(k, usize::MAX, usize::MAX)
                    .ok()
                    .flatten()
                    .unwrap_or_default()
            };
            out.tallies.insert(
                id,
                Tally {
                    round: count(&e, "round"),
                    agree: count(&e, "agree"),
                    workable: count(&e, "workable"),
                    object: count(&e, "object"),
                    objections: list("objections"),
                    concerns: list("concerns"),
                },
            );
        }
    }
    out
}

/// The id of the seed's rule of play `n` (1–7) as a pre-filled proposal.
pub fn rule_id(n: usize) -> String {
    format!("rule-{n}")
}

/// Pre-fills the seed's seven rules of play as open proposals in the field "Spelregels".
pub fn init(tx: &mut impl Transactable, language: &str) -> Result<(), automerge::AutomergeError> {
    for (i, rule) in RULES.iter().enumerate() {
        put_proposal(
            tx,
            &rule_id(i + 1),
            FieldId::Rules,
            rule.get(language),
            i as f64,
        )?;
        let props = ensure_map(tx, &automerge::ROOT, "proposals")?;
        let p = ensure_map(tx, &props, &rule_id(i + 1))?;
        tx.put(&p, "rule", ScalarValue::Int(i as i64 + 1))?;
    }
    Ok(())
}

fn put_text(
    tx: &mut impl Transactable,
    obj: &automerge::ObjId,
    key: &str,
    text: &str,
) -> Result<(), automerge::AutomergeError> {
    let t = match tx.get(obj, key)? {
        Some((automerge::Value::Object(ObjType::Text), t)) => t,
        _ => tx.put_object(obj, key, ObjType::Text)?,
    };
    tx.update_text(&t, text)
}

/// Replaces the proposals with a collaboration's agenda (a session after the first): each
/// adopted agreement as a TWO, or open again and `due` when its review date has come.
pub fn put_agenda(
    tx: &mut impl Transactable,
    agenda: &[(super::collaboration::Agreement, bool)],
) -> Result<(), automerge::AutomergeError> {
    let props = tx.put_object(automerge::ROOT, "proposals", ObjType::Map)?;
    for (i, (a, due)) in agenda.iter().enumerate() {
        let p = tx.put_object(&props, a.id.as_str(), ObjType::Map)?;
        tx.put(&p, "field", a.field.as_str())?;
        put_text(tx, &p, "text", &a.text)?;
        tx.put(&p, "order", ScalarValue::F64(i as f64))?;
        tx.put(&p, "round", ScalarValue::Int(0))?;
        let status = if *due { Status::Open } else { Status::Adopted };
        tx.put(&p, "status", status.as_str())?;
        if !a.earlier.is_empty() {
            let l = tx.put_object(&p, "earlier", ObjType::List)?;
            for (j, t) in a.earlier.iter().enumerate() {
                tx.insert(&l, j, t.as_str())?;
            }
        }
        put_text(tx, &p, "why", &a.why)?;
        if let Some(d) = &a.review {
            tx.put(&p, "review", d.as_str())?;
        }
        if *due {
            tx.put(&p, "due", true)?;
        }
    }
    Ok(())
}

/// Adds an open proposal to a field.
pub fn put_proposal(
    tx: &mut impl Transactable,
    id: &str,
    field: FieldId,
    text: &str,
    order: f64,
) -> Result<(), automerge::AutomergeError> {
    let props = ensure_map(tx, &automerge::ROOT, "proposals")?;
    let p = tx.put_object(&props, id, ObjType::Map)?;
    tx.put(&p, "field", field.as_str())?;
    put_text(tx, &p, "text", text)?;
    tx.put(&p, "order", ScalarValue::F64(order))?;
    tx.put(&p, "round", ScalarValue::Int(0))?;
    tx.put(&p, "status", Status::Open.as_str())?;
    Ok(())
}

fn proposal_obj(
    tx: &mut impl Transactable,
    id: &str,
) -> Result<Option<automerge::ObjId>, automerge::AutomergeError> {
    let Some((automerge::Value::Object(ObjType::Map), props)) =
        tx.get(automerge::ROOT, "proposals")?
    else {
        return Ok(None);
    };
    Ok(match tx.get(&props, id)? {
        Some((automerge::Value::Object(ObjType::Map), p)) => Some(p),
        _ => None,
    })
}

/// Amends a proposal: the current text joins `earlier`, `text` becomes the new version. The
/// next round asks the new text; answers to earlier rounds no longer count.
pub fn amend(
    tx: &mut impl Transactable,
    p: &Proposal,
    text: &str,
) -> Result<(), automerge::AutomergeError> {
    let Some(obj) = proposal_obj(tx, &p.id)? else {
        return Ok(());
    };
    if p.text == text {
        return Ok(());
    }
    let earlier = match tx.get(&obj, "earlier")? {
        Some((automerge::Value::Object(ObjType::List), l)) => l,
        _ => tx.put_object(&obj, "earlier", ObjType::List)?,
    };
    let n = tx.length(&earlier);
    if n >= MAX_EARLIER {
        tx.delete(&earlier, 0)?;
    }
    tx.insert(&earlier, tx.length(&earlier), p.text.as_str())?;
    put_text(tx, &obj, "text", text)?;
    // An amended TWO is open again until the group consents to the new text.
    tx.put(&obj, "status", Status::Open.as_str())
}

/// Starts a new consent round on a proposal (and ends any other).
pub fn ask(tx: &mut impl Transactable, p: &Proposal) -> Result<(), automerge::AutomergeError> {
    let Some(obj) = proposal_obj(tx, &p.id)? else {
        return Ok(());
    };
    tx.put(&obj, "round", ScalarValue::Int(i64::from(p.round + 1)))?;
    tx.put(automerge::ROOT, "asking", p.id.as_str())
}

/// Ends the consent round that runs (its tally stays).
pub fn stop_asking(tx: &mut impl Transactable) -> Result<(), automerge::AutomergeError> {
    match tx.get(automerge::ROOT, "asking")? {
        Some(_) => tx.delete(automerge::ROOT, "asking"),
        None => Ok(()),
    }
}

/// Adopts a proposal as a TWO with its reasons and review date, or drops it, or opens it again.
pub fn set_status(
    tx: &mut impl Transactable,
    id: &str,
    status: Status,
    why: &str,
    review: Option<&str>,
) -> Result<(), automerge::AutomergeError> {
    let Some(obj) = proposal_obj(tx, id)? else {
        return Ok(());
    };
    tx.put(&obj, "status", status.as_str())?;
    if tx.get(&obj, "due")?.is_some() {
        // Decided: no longer up for review.
        tx.delete(&obj, "due")?;
    }
    if status == Status::Adopted {
        put_text(tx, &obj, "why", why)?;
        match review {
            Some(d) => tx.put(&obj, "review", d)?,
            None => {
                if tx.get(&obj, "review")?.is_some() {
                    tx.delete(&obj, "review")?;
                }
            }
        }
    }
    let asking = tx
        .get(automerge::ROOT, "asking")?
        .and_then(|(v, _)| v.as_str().map(str::to_owned));
    if asking.as_deref() == Some(id) {
        tx.delete(automerge::ROOT, "asking")?;
    }
    Ok(())
}

/// Shows (or hides) step 1's phase distribution.
pub fn set_phases_shown(
    tx: &mut impl Transactable,
    shown: bool,
) -> Result<(), automerge::AutomergeError> {
    tx.put(automerge::ROOT, "phases_shown", shown)
}

/// Writes step 1's distribution (server), or removes it with `None`.
pub fn set_phases(
    tx: &mut impl Transactable,
    phases: Option<&Phases>,
) -> Result<(), automerge::AutomergeError> {
    let Some(p) = phases else {
        return match tx.get(automerge::ROOT, "phases")? {
            Some(_) => tx.delete(automerge::ROOT, "phases"),
            None => Ok(()),
        };
    };
    let m = tx.put_object(automerge::ROOT, "phases", ObjType::Map)?;
    tx.put(&m, "answered", ScalarValue::Int(i64::from(p.answered)))?;
    for ph in Phase::ALL {
        tx.put(&m, ph.as_str(), ScalarValue::Int(i64::from(p.count(ph))))?;
    }
    Ok(())
}

/// Shows (or hides) 002's route profile.
pub fn set_route_shown(
    tx: &mut impl Transactable,
    shown: bool,
) -> Result<(), automerge::AutomergeError> {
    tx.put(automerge::ROOT, "route_shown", shown)
}

/// Writes 002's route profile (server), or removes it with `None`.
pub fn set_route(
    tx: &mut impl Transactable,
    route: Option<&RouteProfile>,
) -> Result<(), automerge::AutomergeError> {
    let Some(r) = route else {
        return match tx.get(automerge::ROOT, "route")? {
            Some(_) => tx.delete(automerge::ROOT, "route"),
            None => Ok(()),
        };
    };
    let m = tx.put_object(automerge::ROOT, "route", ObjType::Map)?;
    tx.put(&m, "answered", ScalarValue::Int(i64::from(r.answered)))?;
    let levels = tx.put_object(&m, "levels", ObjType::Map)?;
    for (level, counts) in &r.levels {
        let c = tx.put_object(&levels, level.as_str(), ObjType::Map)?;
        for (k, n) in SCORES.iter().zip(counts) {
            tx.put(&c, *k, ScalarValue::Int(i64::from(*n)))?;
        }
    }
    Ok(())
}

/// Writes a round's tally (server).
pub fn set_tally(
    tx: &mut impl Transactable,
    id: &str,
    t: &Tally,
) -> Result<(), automerge::AutomergeError> {
    let tallies = ensure_map(tx, &automerge::ROOT, "tallies")?;
    let m = tx.put_object(&tallies, id, ObjType::Map)?;
    for (k, v) in [
        ("round", t.round),
        ("agree", t.agree),
        ("workable", t.workable),
        ("object", t.object),
    ] {
        tx.put(&m, k, ScalarValue::Int(i64::from(v)))?;
    }
    for (k, list) in [("objections", &t.objections), ("concerns", &t.concerns)] {
        let l = tx.put_object(&m, k, ObjType::List)?;
        for (i, s) in list.iter().enumerate() {
            tx.insert(&l, i, s.as_str())?;
        }
    }
    Ok(())
}

/// Removes a tally nobody can have given (its proposal is gone).
pub fn remove_tally(tx: &mut impl Transactable, id: &str) -> Result<(), automerge::AutomergeError> {
    if let Some((automerge::Value::Object(ObjType::Map), t)) = tx.get(automerge::ROOT, "tallies")?
        && tx.get(&t, id)?.is_some()
    {
        tx.delete(&t, id)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forms::{FormId, FormRef};

    /// 002's route profile and its switch fit the workshop document and read back; a count out
    /// of range or a level that is no level is refused.
    #[test]
    fn the_route_fits_the_workshop_document() {
        let route = RouteProfile {
            answered: 4,
            levels: [(Level::Quality, [0, 0, 1, 2, 1])].into(),
        };
        let write = |f: &dyn Fn(&mut automerge::transaction::Transaction<'_>)| {
            let mut doc = automerge::Automerge::new();
            doc.transact::<_, _, automerge::AutomergeError>(|tx| {
                super::super::workshop::init_form(
                    tx,
                    "Route",
                    "nl",
                    FormRef {
                        id: FormId::Horizon,
                        version: 1,
                    },
                )?;
                f(tx);
                Ok(())
            })
            .unwrap();
            doc
        };
        let doc = write(&|tx| {
            set_route_shown(tx, true).unwrap();
            set_route(tx, Some(&route)).unwrap();
        });
        super::super::workshop::validate(&doc).unwrap();
        let v = super::super::workshop::view(&doc);
        assert!(v.consensus.route_shown);
        assert_eq!(v.consensus.route, Some(route.clone()));
        assert!(v.consensus.proposals.is_empty(), "002 pre-fills no rules");
        for (bad, path) in [
            ("speed", "/route/levels"),
            ("quality", "/route/levels/quality/3"),
        ] {
            let doc = write(&|tx| {
                set_route(tx, Some(&route)).unwrap();
                let (_, r) = tx.get(automerge::ROOT, "route").unwrap().unwrap();
                let (_, l) = tx.get(&r, "levels").unwrap().unwrap();
                let c = tx.put_object(&l, bad, ObjType::Map).unwrap();
                tx.put(&c, "3", ScalarValue::Int(-1)).unwrap();
            });
            let e = super::super::workshop::validate(&doc).unwrap_err();
            assert!(e.path.starts_with(path), "{e} is not about {path}");
        }
    }
}
